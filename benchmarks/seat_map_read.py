"""Seat-map read of a 10,000-seat event (PERFORMANCE.md: p95 under 20 ms from cache).

    source scripts/lib.sh && eval "$(scripts/keycloak.sh env)"
    .venv/bin/python -m benchmarks.seat_map_read --keycloak http://localhost:8180

Creates a 100 x 100 event, reads its seat map once (filling the caches), then times sequential and
concurrent reads over gRPC; also prints the booking process's resident memory before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from apextick.catalog.v1 import catalog_service_pb2 as cat
from apextick.catalog.v1 import catalog_service_pb2_grpc as cat_grpc
from apextick.catalog.v1 import event_pb2, venue_pb2
from apextick_client.auth import KeycloakTokenSource, TokenSource
from google.protobuf.timestamp_pb2 import Timestamp

from devstack.tokens import DevTokenSource

ROOT = Path(__file__).resolve().parents[1]


def stamp(value: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


async def big_event(catalog: cat_grpc.CatalogServiceAsyncStub, token: str) -> str:
    auth = (("authorization", f"Bearer {token}"),)
    now = datetime.now(UTC)
    venue = (
        await catalog.CreateVenue(
            cat.CreateVenueRequest(
                request_id=str(uuid.uuid4()),
                venue=venue_pb2.Venue(
                    display_name="Stadium", city="Colombo", country_code="LK", time_zone="UTC"
                ),
            ),
            metadata=auth,
        )
    ).venue
    grid = venue_pb2.GridSpec(row_count=100, seats_per_row=100)
    seat_map = (
        await catalog.CreateSeatMap(
            cat.CreateSeatMapRequest(
                parent=venue.name,
                display_name="Bowl",
                request_id=str(uuid.uuid4()),
                sections=[venue_pb2.SectionSpec(section_id="bowl", grid=grid)],
            ),
            metadata=auth,
        )
    ).seat_map
    event = (
        await catalog.CreateEvent(
            cat.CreateEventRequest(
                request_id=str(uuid.uuid4()),
                event=event_pb2.Event(
                    display_name="Final",
                    category="cricket",
                    seat_map=seat_map.name,
                    currency_code="LKR",
                    max_seats_per_customer=4,
                    start_time=stamp(now + timedelta(days=9)),
                    end_time=stamp(now + timedelta(days=9, hours=8)),
                    sale_start_time=stamp(now - timedelta(hours=1)),
                    sale_end_time=stamp(now + timedelta(days=8)),
                ),
            ),
            metadata=auth,
        )
    ).event
    await catalog.CreatePriceTier(
        cat.CreatePriceTierRequest(
            parent=event.name,
            price_tier_id="general",
            request_id=str(uuid.uuid4()),
            price_tier=event_pb2.PriceTier(display_name="General", price_minor=300_000, section_ids=["bowl"]),
        ),
        metadata=auth,
    )
    await catalog.PublishEvent(
        cat.PublishEventRequest(name=event.name, request_id=str(uuid.uuid4())), metadata=auth
    )
    return event.name  # fmt: skip


def rss_mb() -> float:
    pid = (ROOT / "var" / "run" / "booking.pid").read_text().strip()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def summary(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    print(
        f"{label:<24} n={len(samples):<5} p50 {pick(0.5):6.1f} ms  p95 {pick(0.95):6.1f} ms  "
        f"p99 {pick(0.99):6.1f} ms  mean {statistics.fmean(samples):6.1f} ms"
    )


async def main(target: str, tokens: TokenSource, reads: int) -> None:
    async with grpc.aio.insecure_channel(
        target, options=[("grpc.max_receive_message_length", 64 << 20)]
    ) as ch:
        catalog = cat_grpc.CatalogServiceStub(ch)
        event = await big_event(catalog, tokens.organizer())
        first = time.perf_counter()
        reply = await catalog.GetEventSeatMap(cat.GetEventSeatMapRequest(event=event))
        first_ms = (time.perf_counter() - first) * 1000
        print(
            f"first read (fills caches): {first_ms:.1f} ms, {len(reply.seats)} seats, "
            f"{reply.ByteSize() / 1024:.0f} KiB"
        )
        sequential = []
        for _ in range(reads):
            began = time.perf_counter()
            await catalog.GetEventSeatMap(cat.GetEventSeatMapRequest(event=event))
            sequential.append((time.perf_counter() - began) * 1000)
        summary("sequential, cached", sequential)

        async def timed() -> float:
            began = time.perf_counter()
            await catalog.GetEventSeatMap(cat.GetEventSeatMapRequest(event=event))
            return (time.perf_counter() - began) * 1000

        concurrent = list(await asyncio.gather(*(timed() for _ in range(reads))))
        summary("all at once, cached", concurrent)
    print(f"booking process resident memory: {rss_mb():.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default=f"127.0.0.1:{os.environ.get('APEXTICK_BOOKING_PORT', '50051')}")
    parser.add_argument("--keycloak", default="")
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    source: TokenSource = KeycloakTokenSource(args.keycloak) if args.keycloak else DevTokenSource()
    asyncio.run(main(args.target, source, args.reads))
