"""A real Prometheus (Debian's) scraping the booking server every second, configured by the same
renderer as `make up`: after a small sale, its HTTP API reports the RPC counters moved by exactly the
answers the sale produced (so the exposition is scrapeable, and counts survive the trip)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc

from booking.bootstrap import Container
from booking.entrypoints.grpc.server import BookingServer
from devstack.prometheus import configuration, write
from tests.e2e.conftest import Identity
from tests.e2e.edge_support import free_port
from tests.e2e.support import build_event, rid

if TYPE_CHECKING:  # the async stub classes exist only in the .pyi stubs
    Catalog = catalog_grpc.CatalogServiceAsyncStub
    Inventory = inventory_grpc.InventoryServiceAsyncStub

HOLD = "/apextick.inventory.v1.InventoryService/HoldSeats"


@pytest.fixture(scope="module")
def prometheus(
    booking_server: BookingServer[Container], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("prometheus")
    target = f"127.0.0.1:{booking_server.hosted.metrics_port}"
    config = write(workdir, configuration({"apextick-booking": [target]}, None, interval="1s", rules=False))
    address = f"127.0.0.1:{free_port()}"
    command = [
        "/usr/bin/prometheus", f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
        f"--web.listen-address={address}", "--log.level=warn",
    ]  # fmt: skip
    process = subprocess.Popen(command)  # noqa: S603 - our own arguments
    try:
        wait_for(lambda: query(address, 'up{job="apextick-booking"}') == 1.0, "the target to be up")
        yield address
    finally:
        process.terminate()
        process.wait(timeout=20)


def evaluate(address: str, expr: str) -> dict[str, Any]:
    """The HTTP API's answer to an instant query (an invalid expression raises HTTPError 400)."""
    url = f"http://{address}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=5) as reply:
        answer: dict[str, Any] = json.loads(reply.read())
    return answer


def query(address: str, expr: str) -> float | None:
    try:
        result = evaluate(address, expr)["data"]["result"]
    except OSError:
        return None  # not listening yet
    return float(result[0]["value"][1]) if result else 0.0


def wait_for(condition: object, what: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {limit} s for {what}")


def counted(address: str, code: str, reason: str) -> float:
    value = query(
        address, f'sum(apextick_rpc_requests_total{{method="{HOLD}",code="{code}",reason="{reason}"}})'
    )
    return value or 0.0


def settled(address: str) -> dict[str, float]:
    """The counters once two scrapes in a row agree (nothing in flight between them)."""
    outcomes = (("OK", "OK"), ("ABORTED", "SEAT_UNAVAILABLE"))
    last: dict[str, float] = {}
    for _ in range(60):
        now = {f"{code}/{reason}": counted(address, code, reason) for code, reason in outcomes}
        if now == last:
            return now
        last = now
        time.sleep(1.2)
    raise AssertionError("Prometheus's counters never settled")


async def test_prometheus_sees_exactly_what_a_sale_answered(
    prometheus: str, catalog: Catalog, inventory: Inventory, identity: Identity
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Scraped", rows=1, per_row=4)
    before = settled(prometheus)
    for seat in ["main-A-1", "main-A-2", "main-A-3", "main-A-4", "main-A-2", "main-A-4", "main-A-4"]:
        me = identity.auth("customer", subject=f"p-{uuid.uuid4().hex[:8]}")
        request = inv.HoldSeatsRequest(event=built.event.name, seat_ids=[seat], request_id=rid())
        try:
            await inventory.HoldSeats(request, metadata=me)
        except grpc.aio.AioRpcError as error:
            assert error.code() is grpc.StatusCode.ABORTED
    after = settled(prometheus)
    assert after["OK/OK"] - before["OK/OK"] == 4
    assert after["ABORTED/SEAT_UNAVAILABLE"] - before["ABORTED/SEAT_UNAVAILABLE"] == 3


DASHBOARD = Path(__file__).resolve().parents[2] / "k8s" / "monitoring" / "dashboards" / "apextick-drop.json"


def test_every_dashboard_query_is_one_prometheus_evaluates(prometheus: str) -> None:
    """The Grafana dashboard's queries, each evaluated by the real Prometheus (a typo answers 400)."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    exprs = [target["expr"] for panel in panels for target in panel["targets"]]
    assert len(exprs) >= 8
    for expr in exprs:
        assert evaluate(prometheus, expr)["status"] == "success", expr
