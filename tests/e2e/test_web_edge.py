"""The web app from the same origin as the API: a real Envoy with the web route, in front of the
devstack static server. Pages and the app's own routes answer index.html (never cached), hashed assets
are cached for good, nothing outside the build is served, and /v1/ stays the API's: an unknown API path
is still the edge's JSON ROUTE_NOT_FOUND, never the app's page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack import web_server
from edge.settings import EdgeSettings
from tests.e2e.edge_support import Edge, free_port, http, running_edge

pytestmark = pytest.mark.e2e
PAGE = b"<!doctype html><title>ApexTick</title><div id=root></div>"


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    root = tmp_path_factory.mktemp("dist")
    (root / "index.html").write_bytes(PAGE)
    (root / "assets").mkdir()
    (root / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root.parent / "secret.txt").write_text("outside the build")
    port = free_port()
    server = web_server.serve(root, "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with running_edge(EdgeSettings(web_port=port), tmp_path_factory.mktemp("web-edge")) as running:
            yield running
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", ["/", "/events/0b5c9a7e", "/callback?code=x&state=y", "/../secret.txt",
                                  "/%2e%2e/secret.txt"])  # fmt: skip
async def test_pages_and_the_app_s_routes_answer_the_app(edge: Edge, path: str) -> None:
    reply = await http("GET", edge.rest + path)
    assert (reply.status, reply.body) == (200, PAGE)
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_good(edge: Edge) -> None:
    reply = await http("GET", f"{edge.rest}/assets/index-abc123.js")
    assert (reply.status, reply.body) == (200, b"console.log('app')")
    assert "immutable" in reply.headers["cache-control"]
    assert reply.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/nowhere"), ("POST", "/"), ("DELETE", "/events/x")])
async def test_api_paths_and_other_methods_stay_the_edge_s(edge: Edge, method: str, path: str) -> None:
    reply = await http(method, edge.rest + path, body={} if method == "POST" else None)
    assert reply.status == 404
    assert reply.json()["details"][0]["reason"] == "ROUTE_NOT_FOUND"


async def test_an_app_not_built_is_a_json_status_not_a_page(tmp_path: Path) -> None:
    port = free_port()
    server = web_server.serve(tmp_path, "127.0.0.1", port)  # an empty folder: nothing built
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with running_edge(EdgeSettings(web_port=port), tmp_path / "edge") as edge:
            reply = await http("GET", f"{edge.rest}/events/x")
    finally:
        server.shutdown()
        server.server_close()
    assert reply.status == 503
    assert reply.json()["details"][0]["reason"] == "UNAVAILABLE"
