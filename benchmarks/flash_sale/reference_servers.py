"""The two reference servers of PERFORMANCE.md, loaded exactly like the booking server:

noop       a grpc.aio InventoryService whose HoldSeats does nothing (the gRPC ceiling)
raw-claim  a grpc.aio InventoryService whose HoldSeats runs only the conditional UPDATE through a
           psycopg 3 async pool (the database ceiling: no auth, no validation, no hold row)

python -m benchmarks.flash_sale.reference_servers noop|raw-claim PORT
"""

from __future__ import annotations

import os
import sys
from typing import Any

import grpc
import uvloop
from apextick.inventory.v1 import inventory_service_pb2 as svc
from psycopg_pool import AsyncConnectionPool

CLAIM = """
UPDATE event_seat SET status = 'HELD', hold_id = gen_random_uuid(), holder = 'bench'
WHERE event_id = %s AND seat_id = ANY(%s) AND status = 'AVAILABLE'
"""


async def noop(request: svc.HoldSeatsRequest, context: Any) -> svc.HoldSeatsResponse:  # noqa: ARG001
    return svc.HoldSeatsResponse()


def raw_claim(pool: AsyncConnectionPool[Any]) -> Any:
    async def hold_seats(request: svc.HoldSeatsRequest, context: Any) -> svc.HoldSeatsResponse:
        event_id = request.event.removeprefix("events/")
        async with pool.connection() as conn:
            cur = await conn.execute(CLAIM, (event_id, list(request.seat_ids)))
            if cur.rowcount < len(request.seat_ids):
                await context.abort(grpc.StatusCode.ABORTED, "seat unavailable")
        return svc.HoldSeatsResponse()

    return hold_seats


def only_hold_seats(behavior: Any) -> grpc.GenericRpcHandler[Any, Any]:
    handler = grpc.unary_unary_rpc_method_handler(
        behavior,
        request_deserializer=svc.HoldSeatsRequest.FromString,
        response_serializer=svc.HoldSeatsResponse.SerializeToString,
    )
    return grpc.method_handlers_generic_handler(
        "apextick.inventory.v1.InventoryService", {"HoldSeats": handler}
    )


async def serve(kind: str, port: int) -> None:
    server = grpc.aio.server()
    pool = None
    if kind == "raw-claim":
        pool = AsyncConnectionPool(
            os.environ["APEXTICK_DATABASE_URL"],
            min_size=10,
            max_size=10,
            kwargs={"autocommit": True},
            open=False,
        )
        await pool.open(wait=True)
        server.add_generic_rpc_handlers((only_hold_seats(raw_claim(pool)),))
    else:
        server.add_generic_rpc_handlers((only_hold_seats(noop),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


if __name__ == "__main__":
    uvloop.run(serve(sys.argv[1], int(sys.argv[2])))
