"""`python -m edge render [OUT_DIR]`: write the descriptor set and envoy.json (default var/edge)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from edge.descriptors import ROOT, build_descriptor_set
from edge.envoy_config import bootstrap
from edge.settings import EdgeSettings
from edge.upstreams import all_routes, clusters_by_service


def render(out: Path) -> Path:
    descriptor_set = build_descriptor_set(out / "apextick.pb")
    config = bootstrap(EdgeSettings.from_env(), all_routes(), descriptor_set, clusters_by_service())
    target = out / "envoy.json"
    target.write_text(json.dumps(config, indent=1))
    return target


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "render":
        raise SystemExit("usage: python -m edge render [OUT_DIR]")
    print(render(Path(args[1]) if len(args) > 1 else ROOT / "var" / "edge"))  # noqa: T201
