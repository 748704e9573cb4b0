"""When a message could not be handled: how long to wait before handing it back to the broker, and
whether this was its last chance before the quorum queue dead-letters it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RedeliveryPolicy:
    """`delivery_limit` is the queue's x-delivery-limit: RabbitMQ dead-letters a message returned after
    that many redeliveries, i.e. on its (limit + 1)-th failed delivery."""

    delivery_limit: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 30.0

    def backoff(self, delivery_count: int) -> float:
        """Exponential in the number of earlier failed deliveries (the x-delivery-count header), capped:
        a broken message must not spin through its attempts in milliseconds, nor hold a consumer slot
        for minutes."""
        return float(min(self.cap_seconds, self.base_seconds * 2 ** max(0, delivery_count)))

    def is_last_attempt(self, delivery_count: int) -> bool:
        return delivery_count >= self.delivery_limit
