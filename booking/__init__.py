"""The booking service: catalog, seat inventory, holds, orders and tickets in one deployable.

A seat claim and its order must commit in one PostgreSQL transaction, so these areas live together.
Layers: ``domain`` (pure rules), ``service_layer`` (use cases and ports), ``adapters`` (PostgreSQL,
Redis, JWKS), ``entrypoints`` (gRPC), assembled once in ``bootstrap``.
"""
