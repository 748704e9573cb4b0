"""Schemathesis fuzzes the REST edge from the generated OpenAPI document: no request, however odd,
may get a 5xx (a stack trace or a crash behind the edge)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.e2e.conftest import Identity
from tests.e2e.edge_support import Edge

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


async def test_no_5xx_from_the_edge(edge: Edge, identity: Identity) -> None:
    for roles in (("organizer",), ("customer",)):
        process = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS), "run", str(ROOT / "edge" / "openapi.yaml"),
            "--url", edge.rest,
            "--checks", "not_a_server_error",
            "--max-examples", "10",
            "--header", f"Authorization: Bearer {identity.token(*roles)}",
            "--suppress-health-check", "filter_too_much",
            "--generation-database", "none",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
        assert process.returncode == 0, output.decode()[-4000:]
