"""The seat-map read of a large event (PERFORMANCE.md: a 10,000-seat map, p95 under 20 ms from cache),
timed from the wire: the reply is kept as bytes, so the figures are the server's answer and the network,
not the Python client decoding ten thousand seats (its decode time is reported apart)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
from apextick.catalog.v1 import catalog_service_pb2 as cat

from benchmarks.flash_sale.events import CHANNEL_OPTIONS

METHOD = "/apextick.catalog.v1.CatalogService/GetEventSeatMap"


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _reads(target: str, event: str, reads: int, concurrency: int) -> dict[str, Any]:
    async with grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS) as channel:
        call = channel.unary_unary(
            METHOD,
            request_serializer=cat.GetEventSeatMapRequest.SerializeToString,
            response_deserializer=None,  # the reply stays bytes: the client's decode is timed apart
        )
        request = cat.GetEventSeatMapRequest(event=event)
        raw: bytes = await call(request)  # the first read fills the caches
        latencies: list[float] = []
        queue = list(range(reads))

        async def reader() -> None:
            while queue:
                queue.pop()
                began = time.perf_counter()
                await call(request)
                latencies.append((time.perf_counter() - began) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(reader() for _ in range(concurrency)))
        seconds = time.perf_counter() - began
    decode = time.perf_counter()
    reply = cat.GetEventSeatMapResponse.FromString(raw)
    decode_ms = (time.perf_counter() - decode) * 1000
    seats = len(reply.seats)
    return {
        "concurrency": concurrency,
        "reads": reads,
        "seats": seats,
        "reply_bytes": len(raw),
        "reads_per_s": round(reads / seconds, 1),
        "p50_ms": round(_percentile(latencies, 0.5), 2),
        "p95_ms": round(_percentile(latencies, 0.95), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "client_decode_ms": round(decode_ms, 2),
    }


def seat_map_reads(target: str, event: str, reads: int = 300) -> list[dict[str, Any]]:
    """Sequential reads (the latency of one), then 10 at once (a map opened by many)."""
    return [asyncio.run(_reads(target, event, reads, concurrency)) for concurrency in (1, 10)]
