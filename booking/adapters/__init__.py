"""Adapters: PostgreSQL, Redis, JWKS and the outbox codec, each behind a service-layer port."""
