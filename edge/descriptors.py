"""The descriptor set Envoy's transcoder reads: our contracts with every import, plus google.rpc
status and error details, without which rich errors come back as an empty 400."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc_tools

ROOT = Path(__file__).resolve().parent.parent
EXTRA = ("google/rpc/status.proto", "google/rpc/error_details.proto")


def build_descriptor_set(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    protos = sorted(str(p.relative_to(ROOT / "protos")) for p in (ROOT / "protos").rglob("*.proto"))
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    command = [
        sys.executable, "-m", "grpc_tools.protoc",
        "-I", str(ROOT / "protos"), "-I", str(ROOT / "third_party" / "proto"), "-I", str(well_known),
        "--include_imports", "--include_source_info", f"--descriptor_set_out={out}",
        *protos, *EXTRA,
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=ROOT)  # noqa: S603 - fixed argv, no shell
    return out
