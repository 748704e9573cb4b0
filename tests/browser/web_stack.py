"""The web app for browser tests: the built app behind a real edge in front of a booking process, with
real Keycloak tokens (one stack for the whole browser suite: tests/browser/conftest.py). Keycloak's web
client is told of the edge's origin for the suite's length (the realm's code lists the stack's fixed
origins; the test's edge listens on a free port)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
from apextick_client import bench

from devstack import web_server
from tests.e2e.edge_support import Edge, free_port, running_edge
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, booking_behind_edge, realm_from_env

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "clients" / "web"
SCREENS = ROOT / "var" / "reports" / "screens"
LOGOUT_URIS = "post.logout.redirect.uris"


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
    checkout: str  # the test payment page the booking process sends buyers to


def _web_client(admin: str, realm: Realm) -> dict[str, Any]:
    [client] = kc.admin_call(realm.url, admin, "GET", "/clients?clientId=apextick-web").json()
    return dict(client)


def _allow_origin(realm: Realm, origin: str, *, allow: bool) -> None:
    """Adds (or removes) the origin to the web client's redirect, post-logout redirect and CORS lists."""
    admin = kc.admin_token(realm.url, *realm.admin)
    client = _web_client(admin, realm)
    redirect, web_origin = f"{origin}/*", origin
    for key, value in (("redirectUris", redirect), ("webOrigins", web_origin)):
        values = [v for v in client.get(key, []) if v != value]
        client[key] = [*values, value] if allow else values
    attributes = client.setdefault("attributes", {})
    logout = [v for v in attributes.get(LOGOUT_URIS, "").split("##") if v and v != redirect]
    attributes[LOGOUT_URIS] = "##".join([*logout, redirect] if allow else logout)
    kc.admin_call(realm.url, admin, "PUT", f"/clients/{client['id']}", client)


@contextmanager
def _test_checkout(port: int, webhook_url: str) -> Iterator[str]:
    """The dev stack's test payment page (devstack/test_checkout.py), posting to this stack's edge."""
    env = {
        **os.environ,
        "APEXTICK_TEST_CHECKOUT_PORT": str(port),
        "APEXTICK_TEST_CHECKOUT_WEBHOOK_URL": webhook_url,
    }
    command = [sys.executable, "-m", "devstack.test_checkout"]
    with subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL) as process:  # noqa: S603
        try:
            deadline = time.monotonic() + 20
            while not _listening(port):
                assert process.poll() is None, "the test checkout page exited"
                assert time.monotonic() < deadline, "the test checkout page did not start"
                time.sleep(0.1)
            yield f"http://localhost:{port}/pay"
        finally:
            process.terminate()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def web_stack_running(database_url: str, redis_url: str, workdir: Path) -> Iterator[WebStack]:
    """The built app and a booking process behind an edge with the web route, Keycloak told of the edge's
    origin, and the test payment page in place of Stripe's hosted page (posting to this edge)."""
    realm = realm_from_env()
    checkout_port, port = free_port(), free_port()
    checkout_url = f"http://localhost:{checkout_port}/pay"
    with booking_behind_edge(
        realm, database_url, redis_url, workdir / "api-edge", APEXTICK_STRIPE_TEST_CHECKOUT_URL=checkout_url
    ) as (target, api_edge):
        server = web_server.serve(built_app(), "127.0.0.1", port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        settings = replace(api_edge.settings, web_port=port)
        try:
            with running_edge(settings, workdir / "web-edge") as edge:
                origin = f"http://localhost:{edge.settings.rest_port}"
                _allow_origin(realm, origin, allow=True)
                try:
                    with _test_checkout(checkout_port, f"{origin}/v1/webhooks/stripe"):
                        yield WebStack(origin, target, edge, checkout_url)
                finally:
                    _allow_origin(realm, origin, allow=False)
        finally:
            server.shutdown()
            server.server_close()


def new_event(
    stack: WebStack, organizer_token: str, seats: int, sale_opens_in: timedelta = timedelta(minutes=-1)
) -> tuple[str, list[str]]:
    """A published event with `seats` seats, on sale now (or from `sale_opens_in` on), made over gRPC:
    (its name, its seat ids)."""

    async def create() -> tuple[str, list[str]]:
        async with grpc.aio.insecure_channel(stack.booking) as channel:
            return await bench.create_event(channel, organizer_token, seats, sale_opens_in)

    return asyncio.run(create())


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
