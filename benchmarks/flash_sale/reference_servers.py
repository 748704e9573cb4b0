"""The reference servers of PERFORMANCE.md, loaded exactly like the booking server:

noop       a grpc.aio server whose HoldSeats and JoinQueue do nothing (the gRPC ceiling)
raw-claim  a grpc.aio InventoryService whose HoldSeats runs only the conditional UPDATE through a
           psycopg 3 async pool (the database ceiling: no auth, no validation, no hold row)
raw-join   a grpc.aio WaitingRoomService whose JoinQueue runs only one INSERT of a pre-queue entry
           (the waiting room's database ceiling: no auth, no room lock, no retry lookup)

python -m benchmarks.flash_sale.reference_servers noop|raw-claim|raw-join PORT
"""

from __future__ import annotations

import os
import sys
from typing import Any

import grpc
import uvloop
from apextick.inventory.v1 import inventory_service_pb2 as svc
from apextick.waitingroom.v1 import waiting_room_service_pb2 as wr
from psycopg_pool import AsyncConnectionPool

CLAIM = """
UPDATE event_seat SET status = 'HELD', hold_id = gen_random_uuid(), holder = 'bench'
WHERE event_id = %s AND seat_id = ANY(%s) AND status = 'AVAILABLE'
"""

# The caller's request id stands for the identity: the reference reads no token.
JOIN = """
INSERT INTO queue_entry (event_id, subject, pseudonym, request_id, pre_queue, joined_at)
VALUES (%s, %s, %s, %s, true, now()) ON CONFLICT DO NOTHING
"""


async def noop(request: svc.HoldSeatsRequest, context: Any) -> svc.HoldSeatsResponse:  # noqa: ARG001
    return svc.HoldSeatsResponse()


async def noop_join(request: wr.JoinQueueRequest, context: Any) -> wr.JoinQueueResponse:  # noqa: ARG001
    return wr.JoinQueueResponse()


def raw_claim(pool: AsyncConnectionPool[Any]) -> Any:
    async def hold_seats(request: svc.HoldSeatsRequest, context: Any) -> svc.HoldSeatsResponse:
        event_id = request.event.removeprefix("events/")
        async with pool.connection() as conn:
            cur = await conn.execute(CLAIM, (event_id, list(request.seat_ids)))
            if cur.rowcount < len(request.seat_ids):
                await context.abort(grpc.StatusCode.ABORTED, "seat unavailable")
        return svc.HoldSeatsResponse()

    return hold_seats


def raw_join(pool: AsyncConnectionPool[Any]) -> Any:
    async def join_queue(request: wr.JoinQueueRequest, context: Any) -> wr.JoinQueueResponse:  # noqa: ARG001
        event_id = request.event.removeprefix("events/")
        who = request.request_id
        async with pool.connection() as conn:
            await conn.execute(JOIN, (event_id, who, who, who))
        return wr.JoinQueueResponse()

    return join_queue


def only(
    service: str, method: str, request: Any, response: Any, behavior: Any
) -> grpc.GenericRpcHandler[Any, Any]:
    """A handler for one unary method of `service` and nothing else."""
    handler = grpc.unary_unary_rpc_method_handler(
        behavior, request_deserializer=request.FromString, response_serializer=response.SerializeToString
    )
    return grpc.method_handlers_generic_handler(service, {method: handler})


def only_hold_seats(behavior: Any) -> grpc.GenericRpcHandler[Any, Any]:
    return only(
        "apextick.inventory.v1.InventoryService", "HoldSeats", svc.HoldSeatsRequest, svc.HoldSeatsResponse,
        behavior,
    )  # fmt: skip


def only_join_queue(behavior: Any) -> grpc.GenericRpcHandler[Any, Any]:
    return only(
        "apextick.waitingroom.v1.WaitingRoomService", "JoinQueue", wr.JoinQueueRequest, wr.JoinQueueResponse,
        behavior,
    )  # fmt: skip


async def serve(kind: str, port: int) -> None:
    server = grpc.aio.server()
    pool = None
    if kind in {"raw-claim", "raw-join"}:
        pool = AsyncConnectionPool(
            os.environ["APEXTICK_DATABASE_URL"],
            min_size=10,
            max_size=10,
            kwargs={"autocommit": True},
            open=False,
        )
        await pool.open(wait=True)
    if pool is not None and kind == "raw-claim":
        server.add_generic_rpc_handlers((only_hold_seats(raw_claim(pool)),))
    elif pool is not None:
        server.add_generic_rpc_handlers((only_join_queue(raw_join(pool)),))
    else:
        server.add_generic_rpc_handlers((only_hold_seats(noop), only_join_queue(noop_join)))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    uvloop.run(serve(sys.argv[1], int(sys.argv[2])))
