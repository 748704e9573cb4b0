"""Validation of rendered Kubernetes objects against the schemas an API server would apply: the
built-in kinds against Kubernetes' own (the `kubernetes-validate` package, strict: an unknown field is
an error, as `kubectl apply --validate=strict` makes it), the operators' kinds against their CRDs'
openAPIV3Schema (kept in k8s/schemas/, from the operators' Go modules), also strict."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[1]
CRD_DIR = ROOT / "k8s" / "schemas"
KUBERNETES_VERSION = "1.34"  # the oldest minor the manifests promise to run on (native gRPC probes: 1.27)

Json = dict[str, Any]


def _strict(schema: Json) -> Json:
    """An API server prunes unknown fields of a custom resource silently; `--validate=strict` refuses
    them. Closing every object schema that lists its properties does the same here."""
    closed = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                node.setdefault("additionalProperties", False)
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(closed)
    return closed


def crd_schemas(directory: Path = CRD_DIR) -> dict[tuple[str, str], Json]:
    """(apiVersion, kind) -> the strict schema of that version, from every CRD under `directory`."""
    schemas: dict[tuple[str, str], Json] = {}
    for path in sorted(directory.rglob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        if crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = version["schema"]["openAPIV3Schema"]
            schema.setdefault("properties", {})["metadata"] = {"type": "object"}
            schemas[(f"{group}/{version['name']}", kind)] = _strict(schema)
    return schemas


def _where(item: Mapping[str, Any]) -> str:
    return f"{item.get('kind')}/{item.get('metadata', {}).get('name', '?')}"


def schema_problems(objects: Iterable[Json], crds: Mapping[tuple[str, str], Json]) -> list[str]:
    problems = []
    for item in objects:
        key = (item.get("apiVersion", ""), item.get("kind", ""))
        if key in crds:
            for error in jsonschema.Draft7Validator(crds[key]).iter_errors(item):
                path = ".".join(str(part) for part in error.absolute_path)
                problems.append(f"{_where(item)}: {path}: {error.message}")
            continue
        try:
            kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(
                f"{_where(item)}: no schema for {key[0]} {key[1]} (neither Kubernetes nor a kept CRD)"
            )
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            problems.append(f"{_where(item)}: {path}: {error.message}")
    return problems
