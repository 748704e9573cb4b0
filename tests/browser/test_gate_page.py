"""The gate screen on a phone with a camera: a ticket's QR shown to the (fake) camera admits, the same
code again is DUPLICATE naming the first gate, a forged code is INVALID; offline, the bundle admits the
second ticket on the device and the scans upload when the network is back, which the service then
holds to: the second ticket is admitted there, once."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from devstack.purchase import buy
from tests.browser.web_stack import WebStack, new_event, run_scenario
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]
FRAME = (640, 480)


def qr_video(code: str, path: Path, frames: int = 20) -> Path:
    """A .y4m video (what Chromium's fake camera plays) of the code's QR on a grey card."""
    barcode = zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode)
    image: Any = zxingcpp.write_barcode_to_image(barcode, scale=5)  # a 2-D uint8 buffer, untyped in its stubs
    pixels = memoryview(image)
    height, width = pixels.shape or (0, 0)
    qr = Image.frombytes("L", (width, height), pixels.tobytes()).convert("RGB")
    card = Image.new("RGB", FRAME, (200, 200, 200))
    card.paste(qr, ((FRAME[0] - qr.width) // 2, (FRAME[1] - qr.height) // 2))
    y, u, v = card.convert("YCbCr").split()
    half = (FRAME[0] // 2, FRAME[1] // 2)
    frame = b"FRAME\n" + y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()
    path.write_bytes(f"YUV4MPEG2 W{FRAME[0]} H{FRAME[1]} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path


def test_the_gate_admits_then_says_duplicate_and_works_offline(
    realm: Realm, web_stack: WebStack, tmp_path: Path
) -> None:
    organizer, customer, gate = (realm.token(u)["access_token"] for u in ("organizer", "customer", "gate"))

    event, _ = new_event(web_stack, organizer, 4)
    tickets = buy(web_stack.origin, customer, os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"], 2, event=event)[
        "tickets"
    ]
    body = {"displayName": "North door", "staff": [kc.jwt_claims(gate)["sub"]]}
    created = kc.http(f"{web_stack.origin}/v1/{event}/gateStations?requestId={uuid.uuid4()}",
                      json_body=body, bearer=organizer)  # fmt: skip
    assert created.status == 200, created.body
    station = created.json()["gateStation"]["name"]
    codes = [t["code"] for t in tickets]
    result = run_scenario("gate", {
        "APEXTICK_WEB": web_stack.origin, "APEXTICK_STATION": station, "APEXTICK_CODES": ",".join(codes),
        "APEXTICK_CAMERA": str(qr_video(codes[0], tmp_path / "camera.y4m")),
        "APEXTICK_USERS": f"demo-gate:{realm.password}",
    })  # fmt: skip
    assert result["admitted"].startswith("ADMIT")
    again = kc.http(f"{web_stack.origin}/v1/{station}:scan", bearer=gate,
                    json_body={"code": codes[1], "scanNonce": str(uuid.uuid4())}).json()  # fmt: skip
    assert again["outcome"] == "SCAN_OUTCOME_DUPLICATE"  # the offline admission reached the service
    conflicts = kc.http(f"{web_stack.origin}/v1/{event}/scanConflicts", bearer=organizer).json()
    assert conflicts.get("conflicts", []) == []
