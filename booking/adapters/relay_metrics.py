"""What the outbox relay reports: backlog, lag and confirm latencies, as Prometheus metrics (the
platform's /metrics endpoint: histograms, which add up across relays, where per-process quantiles
could not) and as a structured log line with the last minute's quantiles."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from apextick_platform.metrics import new_registry


def quantile(ordered: list[float], q: float) -> float:
    """Nearest-rank quantile of an ascending list; NaN when empty (the log line shows null)."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


class SlidingWindow:
    """Samples of the last `seconds` (at most `limit` of them), for p50/p99 that follow the present."""

    def __init__(
        self, seconds: float = 60.0, limit: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds = seconds
        self._samples: deque[tuple[float, float]] = deque(maxlen=limit)
        self._clock = clock

    def add(self, value: float) -> None:
        self._samples.append((self._clock(), value))

    def quantiles(self, *qs: float) -> tuple[float, ...]:
        horizon = self._clock() - self._seconds
        while self._samples and self._samples[0][0] < horizon:
            self._samples.popleft()
        ordered = sorted(value for _, value in self._samples)
        return tuple(quantile(ordered, q) for q in qs)


@dataclass(frozen=True)
class Snapshot:
    backlog: int
    lag_seconds: float
    published_total: int
    failures_total: int
    confirm_p50: float
    confirm_p99: float
    batch_p50: float
    batch_p99: float

    def log_fields(self) -> dict[str, Any]:
        """Quantiles of an empty window are null (JSON has no NaN)."""
        return {
            "backlog": self.backlog,
            "lag_s": round(self.lag_seconds, 3),
            "published_total": self.published_total,
            "failures_total": self.failures_total,
            "commit_to_confirm_p50_s": _rounded(self.confirm_p50),
            "commit_to_confirm_p99_s": _rounded(self.confirm_p99),
            "batch_p50_s": _rounded(self.batch_p50),
            "batch_p99_s": _rounded(self.batch_p99),
        }


def _rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


# Seconds from a row's commit to the broker's confirm: milliseconds when the relay keeps up, seconds
# when it lags (PERFORMANCE.md sets p99 under 1 s under the headline load).
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class RelayMetrics:
    """Thread-safe: the relay loop writes, the HTTP thread reads (prometheus_client locks its own)."""

    def __init__(self, registry: CollectorRegistry | None = None, window_seconds: float = 60.0) -> None:
        self.registry = registry or new_registry()
        self._backlog = Gauge(
            "apextick_outbox_backlog", "Outbox rows not yet published.", registry=self.registry
        )
        self._lag = Gauge(
            "apextick_outbox_lag_seconds", "Age of the oldest unpublished outbox row.", registry=self.registry
        )
        self._published = Counter(
            "apextick_outbox_published",
            "Rows confirmed by the broker and marked published.",
            registry=self.registry,
        )
        self._failures = Counter(
            "apextick_outbox_failures",
            "Broker or database failures (batch rolled back, reconnect).",
            registry=self.registry,
        )
        self._confirm = Histogram(
            "apextick_outbox_commit_to_confirm_seconds",
            "Row commit to broker confirm.",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self._batch = Histogram(
            "apextick_outbox_batch_seconds",
            "Claim to last confirm of one batch.",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        # The log line's own readings: what the metrics say, kept plainly.
        self._lock = threading.Lock()
        self._readings = [0, 0.0, 0, 0]  # backlog, lag, published, failures
        self._confirm_window = SlidingWindow(window_seconds)
        self._batch_window = SlidingWindow(window_seconds)

    def batch_published(self, count: int, batch_seconds: float, commit_to_confirm: list[float]) -> None:
        """One confirmed and marked batch: its claim-to-last-confirm time, and per row the time from the
        row's commit (its created_at) to the broker's confirm."""
        self._published.inc(count)
        self._batch.observe(batch_seconds)
        for latency in commit_to_confirm:
            self._confirm.observe(latency)
        with self._lock:
            self._readings[2] += count
            self._batch_window.add(batch_seconds)
            for latency in commit_to_confirm:
                self._confirm_window.add(latency)

    def batch_failed(self) -> None:
        self._failures.inc()
        with self._lock:
            self._readings[3] += 1

    def set_backlog(self, backlog: int, lag_seconds: float) -> None:
        self._backlog.set(backlog)
        self._lag.set(lag_seconds)
        with self._lock:
            self._readings[0], self._readings[1] = backlog, lag_seconds

    def snapshot(self) -> Snapshot:
        with self._lock:
            backlog, lag, published, failures = self._readings
            confirm = self._confirm_window.quantiles(0.5, 0.99)
            batch = self._batch_window.quantiles(0.5, 0.99)
        return Snapshot(int(backlog), float(lag), int(published), int(failures), *confirm, *batch)
