"""Offline gates through the real booking server: the key set and a bundle per station, a code verified
offline by `apextick gate verify`, offline scans uploaded later, and the same ticket admitted at two
offline gates recorded once as a conflict for the organizer."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from apextick.gates.v1 import gate_service_pb2 as gsv
from google.protobuf import json_format

from tests.e2e.conftest import Identity
from tests.e2e.gate_support import Stack, open_stations, sell_out
from tests.e2e.support import rich_error, stamp
from tests.e2e.test_gate_scans import forged, stack

if TYPE_CHECKING:
    from tests.e2e.gate_support import Gates

pytestmark = pytest.mark.e2e
__all__ = ["stack"]
APEXTICK = Path(sys.executable).parent / "apextick"


def verify(code: str, bundle: Path) -> tuple[int, str]:
    done = subprocess.run(  # noqa: S603 - the project's own command
        [str(APEXTICK), "gate", "verify", code, "--bundle", str(bundle)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout.decode()


def offline(code: str, at: datetime, *, admitted: bool = True, nonce: str = "") -> gsv.OfflineScan:
    return gsv.OfflineScan(
        scan_nonce=nonce or str(uuid.uuid4()), code=code, scan_time=stamp(at), device_admitted=admitted
    )


async def upload(
    gates: Gates, station: str, auth: tuple[tuple[str, str], ...], *scans: gsv.OfflineScan
) -> list[gsv.OfflineScanResult]:
    request = gsv.UploadOfflineScansRequest(gate_station=station, scans=list(scans))
    return list((await gates.UploadOfflineScans(request, metadata=auth)).results)


async def test_a_bundle_verifies_codes_offline(stack: Stack, identity: Identity, tmp_path: Path) -> None:
    sold = await sell_out(stack, identity, "Offline bundle", rows=1, per_row=3)
    other = await sell_out(stack, identity, "Elsewhere", rows=1, per_row=1)
    [(station, auth)] = await open_stations(stack.gates, sold, identity, 1)
    keys = (await stack.gates.ListTicketKeys(gsv.ListTicketKeysRequest())).keys  # public: no token
    request = gsv.GetOfflineBundleRequest(gate_station=station.name)
    answer = await stack.gates.GetOfflineBundle(request, metadata=auth)
    bundle = answer.bundle
    assert list(bundle.keys) == list(keys)
    assert [k.current for k in keys].count(True) == 1
    assert sorted(t.ticket for t in bundle.tickets) == sorted(t.name for t in sold.tickets)
    assert (bundle.event, list(bundle.void_tickets)) == (sold.built.event.name, [])
    saved = tmp_path / "bundle.json"
    saved.write_text(json_format.MessageToJson(answer))  # as the REST edge and grpcurl print it
    first = sold.tickets[0]
    status, out = verify(first.code, saved)
    assert (status, first.seat_id in out, '"VALID"' in out) == (0, True, True)
    for code, verdict in ((forged(first.code, sold.tickets[1].seat_id), "FORGED"),
                          (other.tickets[0].code, "WRONG_EVENT"), ("AT1.bad", "MALFORMED")):  # fmt: skip
        status, out = verify(code, saved)
        assert (status, f'"{verdict}"' in out) == (1, True), out
    stranger = identity.auth("gate")
    assert (
        await rich_error(stack.gates.GetOfflineBundle(request, metadata=stranger))
    ).reason == "GATE_NOT_FOUND"


async def test_one_ticket_admitted_at_two_offline_gates_is_one_conflict(
    stack: Stack, identity: Identity
) -> None:
    sold = await sell_out(stack, identity, "Offline conflict", rows=1, per_row=3)
    (north, north_auth), (south, south_auth) = await open_stations(stack.gates, sold, identity, 2)
    fetch = gsv.GetOfflineBundleRequest(gate_station=north.name)
    before = (await stack.gates.GetOfflineBundle(fetch, metadata=north_auth)).bundle.version
    ticket, spare = sold.tickets[0], sold.tickets[1]
    at = datetime.now(UTC).replace(microsecond=0)
    at_north = offline(ticket.code, at)
    at_south = offline(ticket.code, at + timedelta(seconds=40))
    [north_result] = await upload(stack.gates, north.name, north_auth, at_north)
    assert (north_result.outcome, north_result.conflict) == (gsv.SCAN_OUTCOME_ADMITTED, False)
    results = await upload(
        stack.gates, south.name, south_auth, at_south, offline("AT1.x.y", at), offline(spare.code, at)
    )
    assert [(r.outcome, r.conflict, r.error_reason) for r in results] == [
        (gsv.SCAN_OUTCOME_DUPLICATE, True, ""),
        (gsv.SCAN_OUTCOME_UNSPECIFIED, False, "TICKET_CODE_MALFORMED"),
        (gsv.SCAN_OUTCOME_ADMITTED, False, ""),
    ]
    again = await upload(stack.gates, south.name, south_auth, at_south)  # the device retries its upload
    assert [(r.outcome, r.conflict) for r in again] == [(gsv.SCAN_OUTCOME_DUPLICATE, True)]
    listing = gsv.ListScanConflictsRequest(parent=sold.built.event.name)
    conflicts = (await stack.gates.ListScanConflicts(listing, metadata=sold.organizer)).conflicts
    assert [(c.ticket, c.admitted_gate, c.conflicting_gate) for c in conflicts] == [
        (ticket.name, north.name, south.name)
    ]
    assert conflicts[0].admit_time == stamp(at)
    assert conflicts[0].conflicting_time == stamp(at + timedelta(seconds=40))
    rival = identity.auth("organizer")
    assert (
        await rich_error(stack.gates.ListScanConflicts(listing, metadata=rival))
    ).reason == "EVENT_NOT_FOUND"
    after = (await stack.gates.GetOfflineBundle(fetch, metadata=north_auth)).bundle
    assert after.version > before
    assert {t.ticket for t in after.tickets if t.admitted} == {ticket.name, spare.name}
