"""Schemathesis fuzzes the REST edge from the generated OpenAPI document, in both generation modes:
no request, however odd, may get a 5xx (a stack trace or a crash behind the edge), and every error
body is a JSON google.rpc.Status with one ErrorInfo reason (tests/e2e/schemathesis_hooks.py)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import schemathesis
from schemathesis.core.result import Err

from tests.e2e.conftest import Identity
from tests.e2e.edge_support import Edge
from tests.e2e.schemathesis_hooks import error_is_a_status

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "edge" / "openapi.yaml"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def _operations() -> set[str]:
    schema = schemathesis.openapi.from_path(str(SCHEMA))
    labels = set()
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        labels.add(result.ok().label)
    return labels


async def _fuzz(edge: Edge, token: str, journal: Path) -> None:
    environment = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
        "APEXTICK_FUZZ_JOURNAL": str(journal),
        "PYTHONPATH": str(ROOT),
    }
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", str(SCHEMA),
        "--url", edge.rest,
        "--mode", "all",
        "--phases", "examples,coverage,fuzzing",
        "--checks", "not_a_server_error,error_is_a_status",
        "--max-examples", "10",
        "--header", f"Authorization: Bearer {token}",
        "--suppress-health-check", "all",
        "--generation-database", "none",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env=environment, cwd=ROOT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    assert process.returncode == 0, output.decode()[-4000:]


async def test_no_5xx_and_only_status_errors_from_the_edge(
    edge: Edge, identity: Identity, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    for roles in (("organizer",), ("customer",)):
        await _fuzz(edge, identity.token(*roles), journal)
    seen = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    for mode in ("positive", "negative"):
        reached = {label for label, used in seen if used == mode}
        missing = _operations() - reached
        assert not missing, f"{mode} generation never reached {sorted(missing)}"


def test_the_status_check_refuses_what_envoy_used_to_answer() -> None:
    """The check is shown to catch the plain-text refusals and leaked exception texts it guards
    against, and to pass the edge's real shape."""

    def answer(status: int, body: bytes) -> SimpleNamespace:
        return SimpleNamespace(status_code=status, content=body)

    case = SimpleNamespace(meta=None)
    info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ROUTE_NOT_FOUND"}
    good = json.dumps({"code": 5, "message": "no such route", "details": [info]}).encode()
    error_is_a_status(None, answer(404, good), case)
    error_is_a_status(None, answer(200, b"%PDF"), case)
    leaked = json.dumps({"code": 2, "message": "Traceback (most recent call last)", "details": [info]})
    for status, body in (
        (413, b"Payload Too Large"),
        (400, json.dumps({"code": 3, "message": "bad", "details": []}).encode()),
        (500, leaked.encode()),
    ):
        try:
            error_is_a_status(None, answer(status, body), case)
        except AssertionError:
            continue
        raise AssertionError(f"the check let {body!r} through")
