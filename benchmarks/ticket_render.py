"""Ticket rendering (QR + PDF) per core (PERFORMANCE.md: report tickets/s/core; target 50), and the
commit-to-inbox latency of ticket emails from what the mail catcher stored.

    .venv/bin/python -m benchmarks.ticket_render                    # 500 tickets in this one process
    .venv/bin/python -m benchmarks.ticket_render --mail-dir var/mail # latency of the emails caught there

Rendering runs in one process on one thread, so tickets/s is tickets/s per core. Each ticket carries a
real Ed25519-signed code of production length. Beside it, in the same run, the reference: the same
page with segno choosing the QR mask itself (what the renderer avoids, see adapters/pdf_renderer.py).

Latency: the notification service stamps each email with `X-ApexTick-Caused-At` (the event's commit
time in the booking service, from OrderConfirmed's metadata.occur_time) and the catcher prepends
`X-Catcher-Received-At`; their difference is webhook commit to inbox. Run the headline flash-sale load
through checkout and webhook with the catcher's folder emptied first, then point --mail-dir at it.
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from booking.adapters.ticket_codes import TicketSigner, load_private_key
from devstack.mail_catcher import MailFolder
from notification.adapters import pdf_renderer
from notification.domain.tickets import Buyer, EventInfo, OrderTickets, TicketDocument, TicketLine
from notification.service_layer.ticket_delivery import CAUSED_AT_HEADER


def quantile(ordered: list[float], q: float) -> float:
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


def documents(count: int) -> list[TicketDocument]:
    signer = TicketSigner(load_private_key(secrets.token_hex(16)))
    event_id = str(uuid.uuid4())
    start = datetime.now(UTC) + timedelta(days=30)
    event = EventInfo(event_id, "Monsoon Beats", "Galle Face Arena", "Colombo", start, "Asia/Colombo")
    lines = []
    for n in range(count):
        ticket_id, seat = str(uuid.uuid4()), f"floor-{chr(65 + n // 20 % 26)}-{n % 20 + 1}"
        code = signer.sign(ticket_id, event_id, seat, datetime.now(UTC))
        lines.append(
            TicketLine(
                ticket_id, seat, "Floor", seat.split("-")[1], seat.split("-")[2], "vip", "VIP", 1, code
            )
        )
    buyer = Buyer("bench", "Nimali Perera", "bench@example.test")
    return OrderTickets("o-bench", "AT-BENCH", buyer, event, tuple(lines), count, "LKR").documents()


def render_all(docs: list[TicketDocument], qr_mask: int | None = pdf_renderer.QR_MASK) -> dict[str, float]:
    renderer = pdf_renderer.ReportlabTicketRenderer(qr_mask)
    renderer.render(docs[0])  # warm up imports and font metrics
    per_ticket = []
    started = time.perf_counter()
    for document in docs:
        t0 = time.perf_counter()
        renderer.render(document)
        per_ticket.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    per_ticket.sort()
    return {
        "tickets": len(docs),
        "tickets_per_s_per_core": round(len(docs) / elapsed, 1),
        "p50_ms": round(quantile(per_ticket, 0.5) * 1000, 2),
        "p95_ms": round(quantile(per_ticket, 0.95) * 1000, 2),
    }


def render_with_automatic_mask(docs: list[TicketDocument]) -> dict[str, float]:
    """The reference: segno scores all eight masks, as it does when none is given."""
    return render_all(docs, qr_mask=None)


def mail_latencies(folder: Path) -> dict[str, float]:
    samples = []
    for mail in MailFolder(folder).messages():
        caused = mail.message[CAUSED_AT_HEADER]
        if caused:
            samples.append((mail.received_at - datetime.fromisoformat(str(caused))).total_seconds())
    samples.sort()
    return {
        "emails": len(samples),
        "p50_s": round(quantile(samples, 0.5), 3),
        "p99_s": round(quantile(samples, 0.99), 3),
        "max_s": round(samples[-1], 3) if samples else math.nan,
        "mean_s": round(statistics.fmean(samples), 3) if samples else math.nan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=500)
    parser.add_argument("--mail-dir", type=Path, help="report commit-to-inbox latency of the emails there")
    args = parser.parse_args()
    if args.mail_dir:
        print(json.dumps({"commit_to_inbox": mail_latencies(args.mail_dir)}))
        return
    docs = documents(args.tickets)
    system = render_all(docs)
    reference = render_with_automatic_mask(docs[: max(50, args.tickets // 5)])
    ratio = system["tickets_per_s_per_core"] / reference["tickets_per_s_per_core"]
    print(
        json.dumps(
            {"render": system, "reference_auto_mask": reference, "ratio": round(ratio, 2), "target": 50}
        )
    )


if __name__ == "__main__":
    main()
