"""`make check`'s deployment step: every kustomization under k8s/ rendered with kustomize and every
object validated (Kubernetes' schemas, the operators' CRDs, the project's rules), then sent to a real
Kubernetes API server as a server-side dry-run (devstack.api_server, devstack.k8s_dry_run), the
edge's Envoy configuration rendered from each overlay's edge-config and validated by Envoy itself,
the PrometheusRule fresh, the Dockerfiles and the compose file checked. Exits 1 on any problem.

    python -m devstack.deploy_check [ROOT]     # ROOT: a checkout (default: this one)"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from devstack import container_files, k8s_dry_run, k8s_policy, k8s_schemas, prometheus_rule
from devstack.api_server import api_server

ROOT = Path(__file__).resolve().parents[1]
KUSTOMIZATIONS = (
    "k8s/overlays/dev",
    "k8s/overlays/prod",
    "k8s/overlays/dev/migrations",
    "k8s/overlays/prod/migrations",
    "k8s/load",
)
Json = dict[str, Any]


def render(kustomization: Path, kustomize: Path) -> list[Json]:
    built = subprocess.run(  # noqa: S603 - fixed argv
        [str(kustomize), "build", str(kustomization)], capture_output=True, text=True, check=False
    )
    if built.returncode != 0:
        raise ValueError(built.stderr.strip() or "kustomize build failed")
    return [item for item in yaml.safe_load_all(built.stdout) if item]


def edge_problems(objects: list[Json], where: str) -> list[str]:
    """Render the edge as the pod's init container would, from this overlay's edge-config, and ask
    Envoy whether the result is a valid configuration."""
    config = next(
        (o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "edge-config"), None
    )
    if config is None:
        return []
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as out:
        env = {"PATH": str(bin_dir), **config["data"]}
        steps = (
            [str(bin_dir / "python"), "-m", "edge", "render", out],
            [str(bin_dir / "envoy"), "--mode", "validate", "-c", f"{out}/envoy.json", "-l", "error"],
        )
        for step in steps:
            ran = subprocess.run(step, capture_output=True, text=True, env=env, cwd=ROOT, check=False)  # noqa: S603
            if ran.returncode != 0:
                return [f"{where}: edge-config: {ran.stdout.strip()} {ran.stderr.strip()}"[:2000]]
    return []


def kustomization_problems(root: Path, kustomize: Path) -> list[str]:
    crds = k8s_schemas.crd_schemas(root / "k8s" / "schemas")
    problems = []
    for name in KUSTOMIZATIONS:
        try:
            objects = render(root / name, kustomize)
        except ValueError as error:
            problems.append(f"{name}: kustomize build: {error}")
            continue
        found = k8s_schemas.schema_problems(objects, crds) + k8s_policy.policy_problems(objects)
        problems += [f"{name}: {problem}" for problem in found] + edge_problems(objects, name)
        print(f"{name}: {len(objects)} objects rendered and checked")
    return problems


def server_problems(root: Path, kustomize: Path) -> list[str]:
    """Every kustomization dry-run on one fresh API server (the CRDs installed once)."""
    with api_server() as api:
        problems = k8s_dry_run.install_crds(api, sorted((root / "k8s" / "schemas").rglob("*.yaml")))
        for name in KUSTOMIZATIONS:
            objects = render(root / name, kustomize)
            found = k8s_dry_run.dry_run_problems(api, objects)
            problems += [f"{name}: dry-run: {problem}" for problem in found]
            print(f"{name}: {len(objects)} objects accepted by the API server (dry-run)")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[0]).resolve() if argv else ROOT
    kustomize = ROOT / "var" / "bin" / "kustomize"
    problems = kustomization_problems(root, kustomize)
    problems += server_problems(root, kustomize) if not problems else []
    if prometheus_rule.main(["--check"]) != 0:
        problems.append("k8s/base/monitoring/prometheus-rule.yaml is stale")
    problems += container_files.all_problems(root)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
