"""Acceptance against the real Keycloak (started by `make test`): demo users' password-grant tokens
through the REST edge and over gRPC, roles gating organizer routes, a Keycloak ID token refused at
both layers, a realm key rotation picked up by Envoy and the service without a restart, and the
flash-sale proof through the edge with real Keycloak tokens."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from apextick.catalog.v1 import catalog_service_pb2 as cat
from apextick.catalog.v1 import catalog_service_pb2_grpc as cat_grpc
from apextick_client import bench
from apextick_client.client import ApexTick

from edge.settings import EdgeSettings
from tests.e2e.edge_support import Edge, free_port, running_edge
from tests.e2e.support import HEADLINE, assert_every_seat_sold_once
from tests.integration import keycloak_support as kc

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VENUE = {"displayName": "Hall", "city": "Galle", "countryCode": "LK", "timeZone": "Asia/Colombo"}


@dataclass(frozen=True)
class Realm:
    url: str
    password: str
    admin: tuple[str, str]

    def token(self, user: str, **extra: str) -> dict[str, Any]:
        return kc.password_grant(self.url, f"demo-{user}", self.password, **extra)


def realm_from_env() -> Realm:
    url = os.environ.get("APEXTICK_KEYCLOAK_URL", "")
    if not url:
        pytest.fail("APEXTICK_KEYCLOAK_URL is not set: run `make test`, which starts Keycloak")
    admin = (
        os.environ.get("APEXTICK_KEYCLOAK_ADMIN_USER", "admin"),
        os.environ["APEXTICK_KEYCLOAK_ADMIN_PASSWORD"],
    )
    return Realm(url.rstrip("/"), os.environ["APEXTICK_DEMO_PASSWORD"], admin)


@pytest.fixture(scope="module")
def realm() -> Realm:
    return realm_from_env()


@contextmanager
def booking_behind_edge(
    realm: Realm, database_url: str, redis_url: str, workdir: Path, **extra_env: str
) -> Iterator[tuple[str, Edge]]:
    """A booking process and an Envoy that trust the real Keycloak realm: (gRPC target, edge)."""
    port = free_port()
    issuer = f"{realm.url}/realms/apextick"
    env = {
        **os.environ,
        "APEXTICK_DATABASE_URL": database_url,
        "APEXTICK_REDIS_URL": redis_url,
        "APEXTICK_BOOKING_PORT": str(port),
        "APEXTICK_OIDC_ISSUER": issuer,
        "APEXTICK_LOG_LEVEL": "WARNING",
        **extra_env,
    }
    process = subprocess.Popen([str(BIN / "apextick-booking"), "serve"], env=env, cwd=ROOT)  # noqa: S603
    try:
        grpc.channel_ready_future(grpc.insecure_channel(f"127.0.0.1:{port}")).result(timeout=30)
        keycloak_port = int(realm.url.rsplit(":", 1)[1])
        settings = EdgeSettings(
            booking_port=port, identity_port=keycloak_port, issuer=issuer, jwks_cache_seconds=2
        )
        with running_edge(settings, workdir) as edge:
            yield f"127.0.0.1:{port}", edge
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def stack(
    realm: Realm, database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Edge]]:
    with booking_behind_edge(realm, database_url, redis_url, tmp_path_factory.mktemp("kc-edge")) as running:
        yield running


def test_demo_users_through_the_edge_and_over_grpc(realm: Realm, stack: tuple[str, Edge]) -> None:
    target, edge = stack
    tokens = {user: realm.token(user)["access_token"] for user in ("customer", "organizer", "admin")}
    for user, token in tokens.items():
        for client in (ApexTick(rest_url=edge.rest, token=token), ApexTick(grpc_target=target, token=token)):
            assert isinstance(client.search_events("rosewood"), list), user
            client.close()
    created = {}
    for user, token in tokens.items():
        reply = kc.http(
            f"{edge.rest}/v1/venues?requestId={uuid.uuid4()}", method="POST", json_body=VENUE, bearer=token
        )
        created[user] = reply.status
    assert created == {"customer": 403, "organizer": 200, "admin": 200}

    channel = grpc.insecure_channel(target)
    catalog = cat_grpc.CatalogServiceStub(channel)
    request = cat.CreateVenueRequest(request_id=str(uuid.uuid4()))
    request.venue.display_name, request.venue.city = "Hall", "Galle"
    request.venue.country_code, request.venue.time_zone = "LK", "Asia/Colombo"
    with pytest.raises(grpc.RpcError) as denied:
        catalog.CreateVenue(request, metadata=(("authorization", f"Bearer {tokens['customer']}"),))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert catalog.CreateVenue(
        request, metadata=(("authorization", f"Bearer {tokens['organizer']}"),)
    ).venue.name
    channel.close()


def test_customers_hold_through_the_edge_and_over_grpc(realm: Realm, stack: tuple[str, Edge]) -> None:
    target, edge = stack
    organizer, customer = realm.token("organizer")["access_token"], realm.token("customer")["access_token"]

    async def create() -> str:
        async with grpc.aio.insecure_channel(target) as channel:
            event, _ = await bench.create_event(channel, organizer, 4)
        return event

    event = asyncio.run(create())
    for client, seat in (
        (ApexTick(rest_url=edge.rest, token=customer), "floor-R1-1"),
        (ApexTick(grpc_target=target, token=customer), "floor-R1-2"),
    ):
        hold = client.hold_seats(event, [seat])
        assert hold["state"] == "HOLD_STATE_ACTIVE"
        assert client.release_hold(hold["name"])["state"] == "HOLD_STATE_RELEASED"
        client.close()


def test_an_id_token_is_not_an_access_token(realm: Realm, stack: tuple[str, Edge]) -> None:
    target, edge = stack
    id_token = realm.token("organizer", scope="openid")["id_token"]
    reply = kc.http(
        f"{edge.rest}/v1/venues?requestId={uuid.uuid4()}", method="POST", json_body=VENUE, bearer=id_token
    )
    assert reply.status in {401, 403}
    with grpc.insecure_channel(target) as channel, pytest.raises(grpc.RpcError) as refused:
        cat_grpc.CatalogServiceStub(channel).ListEvents(
            cat.ListEventsRequest(), metadata=(("authorization", f"Bearer {id_token}"),)
        )
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_realm_key_rotation_is_picked_up_without_restarts(realm: Realm, stack: tuple[str, Edge]) -> None:
    target, edge = stack
    warm = realm.token("organizer")["access_token"]
    assert kc.http(f"{edge.rest}/v1/events?organizer=me", bearer=warm).status == 200
    kid = kc.rotate_realm_key(realm.url, *realm.admin)
    try:
        rotated = realm.token("organizer")["access_token"]
        assert kc.jwt_header(rotated)["kid"] == kid
        deadline, rest_status, grpc_ok = time.monotonic() + 30, 0, False
        while time.monotonic() < deadline and not (rest_status == 200 and grpc_ok):
            rest_status = kc.http(f"{edge.rest}/v1/events?organizer=me", bearer=rotated).status
            with grpc.insecure_channel(target) as channel:
                try:
                    cat_grpc.CatalogServiceStub(channel).ListEvents(
                        cat.ListEventsRequest(organizer="me"),
                        metadata=(("authorization", f"Bearer {rotated}"),),
                    )
                    grpc_ok = True
                except grpc.RpcError:
                    grpc_ok = False
            time.sleep(0.5)
        assert (rest_status, grpc_ok) == (200, True)
    finally:
        kc.remove_realm_key(realm.url, *realm.admin, kid)


def test_the_flash_sale_proof_through_the_edge_with_keycloak_tokens(
    realm: Realm, stack: tuple[str, Edge], database_url: str
) -> None:
    target, edge = stack
    env = {**os.environ, "APEXTICK_DATABASE_URL": database_url}
    command = [
        str(BIN / "apextick"),
        "bench",
        "flash-sale",
        *HEADLINE,
        "--target",
        target,
        "--rest",
        edge.rest,
        "--keycloak",
        realm.url,
        "--json",
    ]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=True, timeout=600)  # noqa: S603
    result = json.loads(done.stdout)
    reports = ROOT / "var" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "flash-sale-rest-edge-keycloak.json").write_text(json.dumps(result, indent=1))
    assert_every_seat_sold_once(result)
