"""Server-side dry-run of rendered manifests against a real API server (devstack.api_server): the
operators' CRDs installed for real, the namespaces created for real, then every object sent with
`dryRun=All` and strict field validation. The server applies everything a cluster would (its own
validation, defaulting, the CRDs' schemas, admission: Pod Security `restricted` on our namespace) and
writes nothing. A refusal, or any warning it sends back, is a problem."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from devstack.api_server import ApiServer

Json = dict[str, Any]
OK = range(200, 300)


def _base(api_version: str) -> str:
    return f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"


class Discovery:
    """kind -> (plural, namespaced) per group version, from the server's own discovery."""

    def __init__(self, api: ApiServer) -> None:
        self._api = api
        self._known: dict[str, dict[str, tuple[str, bool]]] = {}

    def resource(self, api_version: str, kind: str) -> tuple[str, bool] | None:
        if api_version not in self._known:
            reply = self._api.request("GET", _base(api_version))
            self._known[api_version] = {
                r["kind"]: (r["name"], r["namespaced"])
                for r in reply.body.get("resources", [])
                if "/" not in r["name"]
            }
        return self._known[api_version].get(kind)


def install_crds(api: ApiServer, files: Iterable[Path], wait_seconds: float = 60) -> list[str]:
    problems, names = [], []
    for path in files:
        crd = yaml.safe_load(path.read_text())
        reply = api.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
        if reply.status not in OK and reply.status != 409:  # noqa: PLR2004 - 409: installed already
            problems.append(f"{path.name}: CRD refused: {reply.body.get('message')}")
        names.append(crd["metadata"]["name"])
    deadline = time.monotonic() + wait_seconds
    for name in names:
        while not _established(api, name):
            if time.monotonic() > deadline:
                problems.append(f"CRD {name} not established")
                break
            time.sleep(0.2)
    return problems


def _established(api: ApiServer, name: str) -> bool:
    reply = api.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
    conditions = reply.body.get("status", {}).get("conditions", [])
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


def _where(item: Json) -> str:
    return f"{item['kind']}/{item['metadata']['name']}"


def dry_run_problems(api: ApiServer, objects: list[Json]) -> list[str]:
    discovery, problems = Discovery(api), []
    for namespace in (o for o in objects if o["kind"] == "Namespace"):  # real: the rest go inside
        reply = api.request("POST", "/api/v1/namespaces", namespace)
        if reply.status not in OK and reply.status != 409:  # noqa: PLR2004
            problems.append(f"{_where(namespace)}: {reply.body.get('message')}")
    for item in objects:
        if item["kind"] == "Namespace":
            continue
        found = discovery.resource(item["apiVersion"], item["kind"])
        if found is None:
            problems.append(f"{_where(item)}: the server serves no {item['apiVersion']} {item['kind']}")
            continue
        plural, namespaced = found
        scope = f"/namespaces/{item['metadata'].get('namespace', 'default')}" if namespaced else ""
        path = f"{_base(item['apiVersion'])}{scope}/{plural}?dryRun=All&fieldValidation=Strict"
        reply = api.request("POST", path, item)
        if reply.status not in OK:
            problems.append(f"{_where(item)}: refused ({reply.status}): {reply.body.get('message')}")
        problems.extend(f"{_where(item)}: warning: {warning}" for warning in reply.warnings)
    return problems
