"""In-memory fakes of booking's ports, over one shared in-memory database, for unit tests of the use
cases through the real composition root. Each fake is held to its PostgreSQL twin by the conformance
tests in tests/integration/test_port_conformance.py, so the two cannot drift apart."""
