"""The booking server's domain counters for Prometheus, counted where the servicers see each answer:
seats won, checkouts by provider, payment notices by provider and outcome, gate scans by outcome.
Losses and refusals are in the pipeline's RPC counts, by ErrorInfo reason. A retried request that is
answered again from its first outcome counts again: these count answers."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class BookingCounters:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry or CollectorRegistry()
        self._seats_won = Counter("apextick_seats_won", "Seats in holds answered as won", registry=registry)
        self._checkouts = Counter(
            "apextick_checkouts", "Orders opened at a payment provider", ["provider"], registry=registry
        )
        self._notices = Counter(
            "apextick_payment_notices",
            "Provider notices (webhooks, callbacks) by provider and outcome",
            ["provider", "outcome"],
            registry=registry,
        )
        self._scans = Counter("apextick_scans", "Gate scans by outcome", ["outcome"], registry=registry)

    def seats_won(self, count: int) -> None:
        self._seats_won.inc(count)

    def checkout(self, provider: str) -> None:
        self._checkouts.labels(provider).inc()

    def payment_notice(self, provider: str, outcome: str) -> None:
        self._notices.labels(provider, outcome).inc()

    def scan(self, outcome: str) -> None:
        self._scans.labels(outcome).inc()
