"""What the outbox relay reports: backlog, lag and confirm latencies, as structured logs and in the
Prometheus text format on a small HTTP endpoint (stdlib only, one daemon thread)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def quantile(ordered: list[float], q: float) -> float:
    """Nearest-rank quantile of an ascending list; NaN when empty (Prometheus renders it as NaN)."""
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


def _sample(value: float) -> str:
    """Prometheus spells a missing quantile NaN."""
    return "NaN" if math.isnan(value) else repr(value)


class RelayMetrics:
    """Thread-safe: the relay loop writes, the HTTP thread reads."""

    def __init__(self, window_seconds: float = 60.0) -> None:
        self._lock = threading.Lock()
        self._backlog = 0
        self._lag = 0.0
        self._published = 0
        self._failures = 0
        self._confirm = SlidingWindow(window_seconds)
        self._batch = SlidingWindow(window_seconds)

    def batch_published(self, count: int, batch_seconds: float, commit_to_confirm: list[float]) -> None:
        """One confirmed and marked batch: its claim-to-last-confirm time, and per row the time from the
        row's commit (its created_at) to the broker's confirm."""
        with self._lock:
            self._published += count
            self._batch.add(batch_seconds)
            for latency in commit_to_confirm:
                self._confirm.add(latency)

    def batch_failed(self) -> None:
        with self._lock:
            self._failures += 1

    def set_backlog(self, backlog: int, lag_seconds: float) -> None:
        with self._lock:
            self._backlog, self._lag = backlog, lag_seconds

    def snapshot(self) -> Snapshot:
        with self._lock:
            confirm = self._confirm.quantiles(0.5, 0.99)
            batch = self._batch.quantiles(0.5, 0.99)
            return Snapshot(self._backlog, self._lag, self._published, self._failures, *confirm, *batch)


def prometheus_text(snap: Snapshot) -> str:
    lines = [
        "# HELP apextick_outbox_backlog Outbox rows not yet published.",
        "# TYPE apextick_outbox_backlog gauge",
        f"apextick_outbox_backlog {snap.backlog}",
        "# HELP apextick_outbox_lag_seconds Age of the oldest unpublished outbox row.",
        "# TYPE apextick_outbox_lag_seconds gauge",
        f"apextick_outbox_lag_seconds {_sample(snap.lag_seconds)}",
        "# HELP apextick_outbox_published_total Rows confirmed by the broker and marked published.",
        "# TYPE apextick_outbox_published_total counter",
        f"apextick_outbox_published_total {snap.published_total}",
        "# HELP apextick_outbox_failures_total Broker or database failures (batch rolled back, reconnect).",
        "# TYPE apextick_outbox_failures_total counter",
        f"apextick_outbox_failures_total {snap.failures_total}",
        "# HELP apextick_outbox_commit_to_confirm_seconds Row commit to broker confirm, sliding window.",
        "# TYPE apextick_outbox_commit_to_confirm_seconds summary",
        f'apextick_outbox_commit_to_confirm_seconds{{quantile="0.5"}} {_sample(snap.confirm_p50)}',
        f'apextick_outbox_commit_to_confirm_seconds{{quantile="0.99"}} {_sample(snap.confirm_p99)}',
        "# HELP apextick_outbox_batch_seconds Claim to last confirm of one batch, sliding window.",
        "# TYPE apextick_outbox_batch_seconds summary",
        f'apextick_outbox_batch_seconds{{quantile="0.5"}} {_sample(snap.batch_p50)}',
        f'apextick_outbox_batch_seconds{{quantile="0.99"}} {_sample(snap.batch_p99)}',
    ]
    return "\n".join(lines) + "\n"


class MetricsServer:
    """GET /metrics on (host, port); port 0 picks a free one (see `address`)."""

    def __init__(self, metrics: RelayMetrics, host: str, port: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] != "/metrics":
                    self.send_error(404)
                    return
                body = prometheus_text(metrics.snapshot()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base signature)
                """Scrapes every few seconds are not worth a log line."""

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="relay-metrics", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
