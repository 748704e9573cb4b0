"""The web app for browser tests: the built app behind a real edge in front of a booking process, with
real Keycloak tokens. Keycloak's web client is told of the edge's origin for the test's length (the
realm's code lists the stack's fixed origins; the test's edge listens on a free port)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from devstack import web_server
from tests.e2e.edge_support import Edge, free_port, running_edge
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "clients" / "web"
SCREENS = ROOT / "var" / "reports" / "screens"


def built_app() -> Path:
    """clients/web/dist, built now when any source is newer than the last build."""
    dist = WEB / "dist" / "index.html"
    sources = [*WEB.joinpath("src").rglob("*"), WEB / "index.html", WEB / "package-lock.json"]
    if not dist.exists() or max(p.stat().st_mtime for p in sources) > dist.stat().st_mtime:
        build = ["npm", "run", "--silent", "build"]  # the machine's npm, as scripts/stack.sh runs it
        subprocess.run(build, cwd=WEB, check=True, capture_output=True, timeout=300)  # noqa: S603
    return dist.parent


@dataclass(frozen=True)
class WebStack:
    origin: str  # the app and the API: http://localhost:{port}
    booking: str  # gRPC target
    edge: Edge


def _web_client(admin: str, realm: Realm) -> dict[str, Any]:
    [client] = kc.admin_call(realm.url, admin, "GET", "/clients?clientId=apextick-web").json()
    return dict(client)


def _allow_origin(realm: Realm, origin: str, *, allow: bool) -> None:
    admin = kc.admin_token(realm.url, *realm.admin)
    client = _web_client(admin, realm)
    redirect, web_origin = f"{origin}/*", origin
    for key, value in (("redirectUris", redirect), ("webOrigins", web_origin)):
        values = [v for v in client.get(key, []) if v != value]
        client[key] = [*values, value] if allow else values
    kc.admin_call(realm.url, admin, "PUT", f"/clients/{client['id']}", client)


@pytest.fixture(scope="module")
def web_stack(
    realm: Realm, stack: tuple[str, Edge], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebStack]:
    target, api_edge = stack
    port = free_port()
    server = web_server.serve(built_app(), "127.0.0.1", port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = replace(api_edge.settings, web_port=port)
    try:
        with running_edge(settings, tmp_path_factory.mktemp("web-edge")) as edge:
            origin = f"http://localhost:{edge.settings.rest_port}"
            _allow_origin(realm, origin, allow=True)
            try:
                yield WebStack(origin, target, edge)
            finally:
                _allow_origin(realm, origin, allow=False)
    finally:
        server.shutdown()
        server.server_close()


def run_scenario(
    name: str, env: dict[str, str], on_ready: Callable[[], None] | None = None
) -> dict[str, Any]:
    """Runs clients/web/e2e/{name}.mjs; its last line of output is its JSON result. A scenario that
    prints READY waits for the test to act (`on_ready`) before it goes on."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    with (
        tempfile.TemporaryFile("w+") as errors,
        subprocess.Popen(  # noqa: S603 - the project's own script
            ["node", str(WEB / "e2e" / f"{name}.mjs")],  # noqa: S607 - the machine's Node.js
            env={**os.environ, **env, "APEXTICK_SCREENS": str(SCREENS)},
            stdout=subprocess.PIPE, stderr=errors, text=True,
        ) as process,
    ):  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:  # the scenario's own waits bound this (Playwright's timeouts)
            lines.append(line.strip())
            if lines[-1] == "READY" and on_ready is not None:
                on_ready()
        code = process.wait(timeout=60)
        errors.seek(0)
        stderr = errors.read()
    assert code == 0, f"{name}: {stderr[-3000:]}\n{lines[-20:]}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result
