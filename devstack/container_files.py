"""Checks of the container files, without Docker: each Dockerfile is parsed by BuildKit's own parser
(the `dockerfile` package) and held to the project's rules, and the compose file is validated against
the Compose Specification's schema (k8s/schemas/compose-spec, from compose-go's Go module)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dockerfile
import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILES = (
    "booking/Dockerfile",
    "notification/Dockerfile",
    "edge/Dockerfile",
    "identity/Dockerfile",
    "clients/web/Dockerfile",
    "benchmarks/Dockerfile",
)
COMPOSE = "compose.yaml"
MIN_STAGES = 2  # a build stage and the image: the build's tools stay out
COMPOSE_SCHEMA = ROOT / "k8s" / "schemas" / "compose-spec" / "compose-spec.json"


def pinned(image: str) -> bool:
    """A version in the tag (or a digest): `latest`, no tag, or a bare word like `slim` moves."""
    if "@sha256:" in image:
        return True
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    return any(character.isdigit() for character in tag)


def _from_problems(where: str, commands: Sequence[dockerfile.Command]) -> list[str]:
    stages: list[str] = []
    problems = []
    for command in commands:
        if command.cmd != "FROM":
            continue
        image = command.value[0]
        if image not in stages and image != "scratch" and not pinned(image):
            problems.append(f"{where}:{command.start_line}: base image {image} is not pinned to a version")
        named = [word for word in command.value[1:] if word.upper() != "AS"]  # FROM image AS name
        stages.append(named[0] if named else image)
    if len(stages) < MIN_STAGES:
        problems.append(f"{where}: not multi-stage (the build's tools stay out of the image)")
    return problems


def _final_user_problems(where: str, commands: Sequence[dockerfile.Command]) -> list[str]:
    last_from = max(i for i, command in enumerate(commands) if command.cmd == "FROM")
    users = [command.value[0] for command in commands[last_from:] if command.cmd == "USER"]
    if not users or users[-1].split(":")[0] in {"0", "root"}:
        return [f"{where}: the final stage does not switch to a non-root USER"]
    return []


def _run_problems(where: str, command: dockerfile.Command) -> list[str]:
    script = " ".join(command.value)
    problems = []
    if "uv sync" in script and "--frozen" not in script:
        problems.append(f"{where}:{command.start_line}: uv sync without --frozen (the lockfile, exactly)")
    if "npm install" in script:
        problems.append(f"{where}:{command.start_line}: npm install (npm ci installs the lockfile)")
    if "pip install" in script and "--require-hashes" not in script:
        problems.append(f"{where}:{command.start_line}: pip install without --require-hashes")
    return problems


def _copy_problems(where: str, command: dockerfile.Command, context: Path) -> list[str]:
    if any(flag.startswith("--from=") for flag in command.flags):
        return []
    return [f"{where}:{command.start_line}: COPY source {source} is not in the build context"
            for source in command.value[:-1] if not (context / source).exists()]  # fmt: skip


def dockerfile_problems(path: Path, context: Path = ROOT) -> list[str]:
    where = str(path.relative_to(context)) if path.is_relative_to(context) else str(path)
    try:
        commands = dockerfile.parse_file(str(path))
    except dockerfile.GoParseError as error:
        return [f"{where}: does not parse: {error}"]
    problems = _from_problems(where, commands) + _final_user_problems(where, commands)
    for command in commands:
        if command.cmd == "RUN":
            problems += _run_problems(where, command)
        elif command.cmd == "COPY":
            problems += _copy_problems(where, command, context)
    return problems


def compose_problems(path: Path, context: Path = ROOT) -> list[str]:
    where = path.name
    try:
        project: dict[str, Any] = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        return [f"{where}: does not parse: {error}"]
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    problems = [
        f"{where}: {'.'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in jsonschema.Draft7Validator(schema).iter_errors(project)
    ]
    for name, service in project.get("services", {}).items():
        build = service.get("build")
        if (
            isinstance(build, dict)
            and not (context / build.get("context", ".") / build.get("dockerfile", "Dockerfile")).is_file()
        ):
            problems.append(f"{where}: services.{name}: its Dockerfile does not exist")
        image = service.get("image", "")
        if image and not pinned(image):
            problems.append(f"{where}: services.{name}: image {image} is not pinned to a version")
    return problems


def all_problems(root: Path = ROOT) -> list[str]:
    problems = [p for name in DOCKERFILES for p in dockerfile_problems(root / name, root)]
    return problems + compose_problems(root / COMPOSE, root)
