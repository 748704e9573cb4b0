"""`make check`'s deployment step on the real manifests, and on deliberately broken copies: each kind
of mistake it exists to catch is caught (a schema that would refuse the object, an operator's CRD, the
project's rules, a dangling selector, the edge's rendered Envoy configuration, a Dockerfile, compose)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from devstack import container_files, deploy_check

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "var" / "bin" / "kustomize"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files the check reads, copied: a broken variant never touches the real ones."""
    for name in ("k8s", "edge", "protos", "third_party", "booking", "notification", "identity", "benchmarks",
                 "gen", "apextick_platform", "clients/python/pyproject.toml", "clients/web/Dockerfile",
                 "clients/web/nginx.conf", "clients/web/package.json", "clients/web/package-lock.json",
                 "compose.yaml", "pyproject.toml", "uv.lock"):  # fmt: skip
        source, target = ROOT / name, tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
        else:
            shutil.copy2(source, target)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_every_overlay_renders_and_passes() -> None:
    assert deploy_check.kustomization_problems(ROOT, KUSTOMIZE) == []
    assert container_files.all_problems(ROOT) == []


BROKEN: dict[str, tuple[str, str, str, str]] = {
    # name: (file, text, replacement, a word the problem must name)
    "a misspelt field of a built-in kind": (
        "k8s/base/booking/server.yaml",
        "  revisionHistoryLimit: 5",
        "  revisionHistory: 5",
        "revisionHistory",
    ),
    "a wrong type in a built-in kind": (
        "k8s/base/booking/server.yaml",
        "terminationGracePeriodSeconds: 30",
        "terminationGracePeriodSeconds: thirty",
        "thirty",
    ),
    "a misspelt field of CloudNativePG's Cluster": (
        "k8s/base/data/postgres.yaml",
        "  instances: 3",
        "  instance: 3",
        "instance",
    ),
    "a misspelt field of the RabbitmqCluster": (
        "k8s/base/data/rabbitmq.yaml",
        "  replicas: 3",
        "  replica: 3",
        "replica",
    ),
    "a writable root filesystem": (
        "k8s/base/booking/worker.yaml",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
        "read-only",
    ),
    "a container without limits": (
        "k8s/base/booking/relay.yaml",
        "            limits: {cpu: 500m, memory: 192Mi}\n",
        "",
        "memory limit",
    ),
    "a password written into the manifest": (
        "k8s/base/booking/relay.yaml",
        "            - {name: APEXTICK_RELAY_METRICS_HOST, value: 0.0.0.0}",
        "            - {name: APEXTICK_SMTP_PASSWORD, value: hunter2}",
        "secretKeyRef",
    ),
    "a Service selecting no pod": (
        "k8s/base/booking/seatmap.yaml",
        "  selector: {app.kubernetes.io/name: seatmap}",
        "  selector: {app.kubernetes.io/name: seat-map}",
        "matches no pod",
    ),
    "an autoscaler of a Deployment that does not exist": (
        "k8s/base/booking/server.yaml",
        "kind: Deployment, name: booking}",
        "kind: Deployment, name: bookings}",
        "does not exist",
    ),
    "an edge setting Envoy refuses": (
        "k8s/base/config.yaml",
        "  APEXTICK_EDGE_LISTEN_ADDRESS: 0.0.0.0",
        "  APEXTICK_EDGE_LISTEN_ADDRESS: 0.0.0.0.0",
        "edge-config",
    ),
    "a resource kustomize cannot find": (
        "k8s/base/kustomization.yaml",
        "  - web/web.yaml",
        "  - web/webapp.yaml",
        "kustomize build",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_manifest_fails_the_check(checkout: Path, name: str) -> None:
    file, old, new, word = BROKEN[name]
    edit(checkout / file, old, new)
    problems = deploy_check.kustomization_problems(checkout, KUSTOMIZE)
    assert problems, f"{name}: not caught"
    assert any(word in problem for problem in problems), problems


def test_a_committed_secret_fails_the_check(checkout: Path) -> None:
    secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: leaked}\nstringData: {password: hunter2}\n"
    (checkout / "k8s/base/leaked.yaml").write_text(secret)
    edit(checkout / "k8s/base/kustomization.yaml", "  - config.yaml\n", "  - config.yaml\n  - leaked.yaml\n")
    problems = deploy_check.kustomization_problems(checkout, KUSTOMIZE)
    assert any("Secret/leaked" in problem for problem in problems), problems


DOCKERFILE_BREAKS: dict[str, tuple[str, str, str, str]] = {
    "runs as root": ("booking/Dockerfile", "USER 10001:10001\n", "", "non-root USER"),
    "an unpinned base": (
        "edge/Dockerfile",
        "python:3.11.14-slim-bookworm AS runtime",
        "python:slim AS runtime",
        "not pinned",
    ),
    "the lockfile not enforced": (
        "notification/Dockerfile",
        "uv sync --frozen --no-dev --no-editable --package",
        "uv sync --no-dev --no-editable --package",
        "--frozen",
    ),
    "a COPY of a path that moved": (
        "booking/Dockerfile",
        "COPY booking booking",
        "COPY bookings booking",
        "not in the build context",
    ),
    "a single stage": ("benchmarks/Dockerfile", "FROM golang:1.26.8-bookworm AS build\n", "", "multi-stage"),
}


@pytest.mark.parametrize("name", sorted(DOCKERFILE_BREAKS))
def test_a_broken_dockerfile_fails_the_check(checkout: Path, name: str) -> None:
    file, old, new, word = DOCKERFILE_BREAKS[name]
    edit(checkout / file, old, new)
    problems = container_files.all_problems(checkout)
    assert any(word in problem for problem in problems), problems


def test_a_dockerfile_that_does_not_parse_fails(checkout: Path) -> None:
    (checkout / "identity/Dockerfile").write_text("FROM quay.io/keycloak/keycloak:26.7.3\nONBUILD\n")
    problems = container_files.all_problems(checkout)
    assert any("identity/Dockerfile" in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "word"),
    [
        ('    command: ["serve"]\n    environment: {<<: *service-env, APEXTICK_BOOKING_HOST',
         '    commands: ["serve"]\n    environment: {<<: *service-env, APEXTICK_BOOKING_HOST', "commands"),
        ("dockerfile: identity/Dockerfile", "dockerfile: identity/Dockerfile.missing", "does not exist"),
        ("image: redis:7.2.5-alpine", "image: redis:alpine", "not pinned"),
    ],
)  # fmt: skip
def test_a_broken_compose_file_fails_the_check(checkout: Path, old: str, new: str, word: str) -> None:
    edit(checkout / "compose.yaml", old, new)
    problems = container_files.compose_problems(checkout / "compose.yaml", checkout)
    assert any(word in problem for problem in problems), problems
