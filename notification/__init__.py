"""The notification service: renders QR PDF tickets, emails them once per event, serves them to owners.

It consumes the booking service's domain events from RabbitMQ and keeps its own PostgreSQL schema
(`notification`); it never reads the booking tables, so either service deploys without the other."""
