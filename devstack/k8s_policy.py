"""The project's own rules for its manifests, beyond what a schema can say: what a restricted pod
looks like, that every workload is sized and probed, that no secret is committed, and that the names
linking objects (Service selectors, autoscaler and budget targets) point at something real."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

Json = dict[str, Any]
WORKLOADS = {"Deployment", "StatefulSet", "Job"}
SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "PRIVATE_KEY")


def _name(item: Mapping[str, Any]) -> str:
    return f"{item['kind']}/{item['metadata']['name']}"


def _pod(item: Mapping[str, Any]) -> Json:
    spec: Json = item["spec"]["template"]
    return spec


def _containers(pod_spec: Mapping[str, Any]) -> Iterator[tuple[Json, bool]]:
    """Every container, with whether it is an init container (those run once: no probes)."""
    for container in pod_spec.get("initContainers", []):
        yield container, True
    for container in pod_spec.get("containers", []):
        yield container, False


def _container_problems(where: str, container: Json, *, init: bool, deployment: bool) -> list[str]:
    problems = []
    context = container.get("securityContext", {})
    if context.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: root filesystem not read-only")
    if context.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: privilege escalation not ruled out")
    if "ALL" not in context.get("capabilities", {}).get("drop", []):
        problems.append(f"{where}: capabilities not all dropped")
    resources = container.get("resources", {})
    if not {"cpu", "memory"} <= set(resources.get("requests", {})):
        problems.append(f"{where}: no cpu and memory requests")
    if "memory" not in resources.get("limits", {}):
        problems.append(f"{where}: no memory limit")
    if deployment and not init and not {"readinessProbe", "livenessProbe"} <= set(container):
        problems.append(f"{where}: no readiness and liveness probes")
    image = container.get("image", "")
    tag = image.rsplit("/", 1)[-1].partition(":")[2] if "@" not in image else "digest"
    if not tag or tag == "latest":
        problems.append(f"{where}: image {image!r} is not pinned to a version")
    problems.extend(
        f"{where}: {variable['name']} is written in the manifest (use a secretKeyRef)"
        for variable in container.get("env", [])
        if "value" in variable and any(word in variable["name"] for word in SECRET_WORDS)
    )
    return problems


def workload_problems(item: Json) -> list[str]:
    template = _pod(item)
    spec = template["spec"]
    context = spec.get("securityContext", {})
    problems = []
    if context.get("runAsNonRoot") is not True:
        problems.append(f"{_name(item)}: pods may run as root (runAsNonRoot)")
    if spec.get("automountServiceAccountToken") is not False:
        problems.append(f"{_name(item)}: mounts a service-account token it does not use")
    for container, init in _containers(spec):
        where = f"{_name(item)}/{container['name']}"
        problems += _container_problems(where, container, init=init, deployment=item["kind"] == "Deployment")
    return problems


def _labels_of_pods(objects: Iterable[Json]) -> list[Json]:
    return [_pod(item)["metadata"].get("labels", {}) for item in objects if item["kind"] in WORKLOADS]


def _selects(selector: Mapping[str, str], labels: Iterable[Mapping[str, str]]) -> bool:
    return any(all(pod.get(key) == value for key, value in selector.items()) for pod in labels)


def link_problems(objects: list[Json]) -> list[str]:
    """Selectors that select nothing, and targets that do not exist: each a silent outage once applied."""
    pods = _labels_of_pods(objects)
    names = {(item["kind"], item["metadata"]["name"]) for item in objects}
    problems = []
    for item in objects:
        selector = item["spec"].get("selector") if item["kind"] == "Service" else None
        # Every Service here selects pods of ours (the operators make their own Services).
        if selector and not _selects(selector, pods):
            problems.append(f"{_name(item)}: selector {item['spec']['selector']} matches no pod template")
        if item["kind"] == "PodDisruptionBudget" and not _selects(
            item["spec"]["selector"]["matchLabels"], pods
        ):
            problems.append(f"{_name(item)}: selector matches no pod template")
        if item["kind"] == "HorizontalPodAutoscaler":
            target = item["spec"]["scaleTargetRef"]
            if (target["kind"], target["name"]) not in names:
                problems.append(
                    f"{_name(item)}: scales {target['kind']}/{target['name']}, which does not exist"
                )
    return problems


def policy_problems(objects: list[Json]) -> list[str]:
    problems = [f"{_name(item)}: a Secret in the manifests (secrets are created, never committed)"
                for item in objects if item["kind"] == "Secret"]  # fmt: skip
    for item in objects:
        if item["kind"] in WORKLOADS:
            problems += workload_problems(item)
    return problems + link_problems(objects)
