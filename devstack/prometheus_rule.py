"""k8s/base/monitoring/prometheus-rule.yaml, the Prometheus Operator's wrapping of the drop's rules in
k8s/monitoring/rules.yml (which the local Prometheus loads as it is): one source, two readers.

    python -m devstack.prometheus_rule            # rewrite the manifest
    python -m devstack.prometheus_rule --check    # fail if it is stale (make check)"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "k8s" / "monitoring" / "rules.yml"
MANIFEST = ROOT / "k8s" / "base" / "monitoring" / "prometheus-rule.yaml"
HEADER = (
    "# Generated from k8s/monitoring/rules.yml by `python -m devstack.prometheus_rule`: edit that file.\n"
)


def manifest(rules: dict[str, Any]) -> str:
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "apextick-drop"},
        "spec": {"groups": rules["groups"]},
    }
    return HEADER + yaml.safe_dump(rule, sort_keys=False, width=110)


def main(argv: list[str]) -> int:
    fresh = manifest(yaml.safe_load(RULES.read_text()))
    if "--check" in argv:
        if not MANIFEST.is_file() or MANIFEST.read_text() != fresh:
            print(f"{MANIFEST.relative_to(ROOT)} is stale: python -m devstack.prometheus_rule")
            return 1
        return 0
    MANIFEST.write_text(fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
