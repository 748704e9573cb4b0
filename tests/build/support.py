"""Helpers for the build tier: a copy of the parts of the checkout a check reads, and the project's tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / "bin"
UV = ROOT / "var" / "tools" / "bin" / "uv"  # scripts/install.sh pins it there


def copy_tree(target: Path, *parts: str) -> Path:
    """Copy the named top-level files and folders of the checkout (as git tracks them) into `target`."""
    git = shutil.which("git") or "git"
    listed = subprocess.run(  # noqa: S603 - git with our own path arguments, no shell
        [git, "ls-files", "--", *parts], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    for name in listed:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)
    return target


def run(
    command: list[str | Path], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv of our own tools, no shell
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
