"""The server-side dry-run: a real kube-apiserver (with etcd) accepts every rendered overlay, and
refuses or warns about what only a server knows: a port name it rejects, a field an operator's CRD
does not have (strict decoding), a pod that breaks the namespace's Pod Security `restricted` level."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack import k8s_dry_run
from devstack.api_server import ApiServer, api_server
from devstack.deploy_check import KUSTOMIZATIONS, render

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "var" / "bin" / "kustomize"


@pytest.fixture(scope="module")
def api() -> Iterator[ApiServer]:
    with api_server() as server:
        assert k8s_dry_run.install_crds(server, sorted((ROOT / "k8s" / "schemas").rglob("*.yaml"))) == []
        yield server


def dev() -> list[dict[str, Any]]:
    return render(ROOT / "k8s" / "overlays" / "dev", KUSTOMIZE)


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_the_api_server_accepts_every_overlay(api: ApiServer, kustomization: str) -> None:
    assert k8s_dry_run.dry_run_problems(api, render(ROOT / kustomization, KUSTOMIZE)) == []


def test_a_port_name_the_server_rejects_is_refused(api: ApiServer) -> None:
    objects = dev()
    named(objects, "Deployment", "booking")["spec"]["template"]["spec"]["containers"][0]["ports"][0][
        "name"
    ] = "grpc_port"
    problems = k8s_dry_run.dry_run_problems(api, objects)
    assert any("Deployment/booking: refused (422)" in p and "grpc_port" in p for p in problems), problems


def test_an_unknown_field_of_an_operators_resource_is_refused(api: ApiServer) -> None:
    objects = dev()
    named(objects, "RabbitmqCluster", "apextick-mq")["spec"]["replica"] = 3
    problems = k8s_dry_run.dry_run_problems(api, objects)
    assert any(
        "RabbitmqCluster/apextick-mq" in p and 'unknown field "spec.replica"' in p for p in problems
    ), problems


def test_a_pod_beyond_the_restricted_level_draws_the_servers_warning(api: ApiServer) -> None:
    objects = dev()
    named(objects, "Deployment", "seatmap")["spec"]["template"]["spec"]["hostNetwork"] = True
    problems = k8s_dry_run.dry_run_problems(api, objects)
    assert any("Deployment/seatmap: warning" in p and "PodSecurity" in p for p in problems), problems
