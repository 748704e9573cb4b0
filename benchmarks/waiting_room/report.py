"""The waiting room's section of docs/benchmarks.md, rendered from var/reports/bench-queue.json (kept
beside the page as docs/benchmarks/bench-queue.json). Every figure comes from that JSON."""

from __future__ import annotations

from typing import Any


def _row(f: dict[str, Any]) -> str:
    cpu = f["extra"].get("server_cpu_us_per_call", "")
    outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(f["outcomes"].items()))
    return (
        f"| {f['name']} | {f['attempts']:,} | {f['rps']:,.0f} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f}"
        f" | {f['p99_ms']:.1f} | {cpu} | {outcomes} |"
    )


def section(result: dict[str, Any]) -> list[str]:
    plan, facts = result["plan"], result["facts"]
    flow, record = facts["outflow"], facts["record"]
    noop = next(f for f in result["figures"] if f["name"] == "join: noop reference")
    verdict = "every check held" if result["correct"] else f"VIOLATED: {result['problems']}"
    return [
        "## The waiting room",
        "",
        (
            f"`make bench-queue` (`python -m benchmarks.waiting_room.run`, {result['seconds']:.0f} s):"
            f" {plan['arrivals']:,} identities join one event's pre-queue, {plan['concurrency']} at once,"
            " through"
        ),
        "the same Go generator (`-call join`); the door opens the queue and turns once a second at the set",
        "rate; each admitted identity reads its pass from its position stream and makes one HoldSeats with",
        "it, beside the same crowd on an event without a queue. CPU µs is the server's per call.",
        "",
        "| run | calls | req/s | p50 ms | p95 ms | p99 ms | CPU µs | answers |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *[_row(f) for f in result["figures"]],
        "",
        *[f"- {label}: **{value:.2f}x**" for label, value in result["ratios"].items()],
        (
            f"- the generator drove the no-op at {noop['rps']:,.0f} requests/s with"
            f" {1e6 * noop['generator_cpu_seconds'] / max(1, noop['attempts']):.0f} µs of its CPU a call:"
            " it does not set booking's pace"
        ),
        (
            f"- outflow: **{flow['measured_per_minute']:,.1f} admissions a minute** measured in PostgreSQL's"
            f" record against **{flow['set_per_minute']:,} set** ({flow['ratio']:.4f}x, {flow['batches']}"
            " batches; the issue's bound is 5 %)"
        ),
        (
            f"- the open (the keyed shuffle of {plan['arrivals']:,} entries under the room's lock, and the"
            " first batch): {flow['open_turn_ms']:,.1f} ms; the shuffle alone in memory"
            f" {facts['shuffle_alone_ms']:,.1f} ms; later turns p50 {flow['turn_p50_ms']:.1f} ms,"
            f" max {flow['turn_max_ms']:.1f} ms"
        ),
        f"- passes read from position streams: {facts['pass_fetch_per_s']:,.0f} a second",
        f"- `apextick queue verify` from public data: {facts['verify']}",
        (
            f"- PostgreSQL's record: {record['entries']:,} entries for {record['identities']:,} identities,"
            f" {record['admitted']:,} admitted, {record['passes_used']:,} passes used = {record['holds']:,}"
            f" holds, {record['holds_without_pass']} holds without a pass"
        ),
        f"- correctness: {verdict}",
    ]
