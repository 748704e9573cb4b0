# ApexTick developer commands. Every target works on a fresh Debian machine: the scripts install
# what is missing (apt packages, the Python environment, Go tools) before they use it.
.PHONY: up down status test check floors faults-long bench bench-report bench-queue capacity baseline gen lint typecheck protos-check

PY := .venv/bin

up:
	scripts/stack.sh up

down:
	scripts/stack.sh down

status:
	scripts/stack.sh status

# The whole suite against real PostgreSQL, Redis and RabbitMQ (started here if they are not running).
test:
	scripts/test.sh

# The long fault profile, on demand (ten rounds of every fault under heavier load; not in CI).
faults-long:
	APEXTICK_FAULT_PROFILE=long scripts/test.sh tests/faults

# The flash-sale benchmark (on demand, not in CI: about ten minutes), and the same rendered into
# docs/benchmarks.md with its plots. Needs only PostgreSQL and Redis; it starts what it measures.
bench:
	scripts/bench.sh run

bench-report:
	scripts/bench.sh report

# The waiting room's benchmark (on demand): joins, the open, the outflow and holds with passes,
# each beside its reference.
bench-queue:
	scripts/bench.sh queue

# The capacity note (docs/capacity.md) from a short drop measuring booking's and PostgreSQL's CPU.
capacity:
	scripts/bench.sh capacity

# Lint, types, protobuf lint and breaking-change check, and freshness of generated code.
check:
	scripts/check.sh

# The unit tests on an environment resolved at every direct dependency's lowest allowed version.
floors:
	scripts/check_floors.sh

# Record the contracts as the breaking-change baseline (on purpose, with a release).
baseline:
	scripts/gen_protos.sh --baseline

# Regenerate the committed Python code and the OpenAPI document from protos/.
gen:
	scripts/gen_protos.sh
	scripts/gen_openapi.sh
