#!/usr/bin/env bash
# `make check`: static checks. Fails on the first problem.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[[ -x .venv/bin/python ]] || scripts/install.sh
PY=.venv/bin

step() { printf '\n== %s\n' "$*"; }

step "ruff (lint and format)"
"$PY/ruff" check .
"$PY/ruff" format --check .
step "mypy (strict)"
"$PY/mypy"
step "buf lint"
"$PY/buf" lint
step "buf breaking against main"
# Compares the contracts with the last commit on main. Skipped only where main has no contracts yet
# (the very first commit), since there is nothing to break.
if git rev-parse --verify -q main >/dev/null && git cat-file -e main:buf.yaml 2>/dev/null; then
  "$PY/buf" breaking --against ".git#branch=main"
else
  echo "main has no protos yet: nothing to compare"
fi
step "generated code is fresh"
scripts/gen_protos.sh --check
step "OpenAPI document is fresh"
scripts/gen_openapi.sh --check
step "envoy --mode validate (the generated edge configuration)"
edge_dir=$(mktemp -d)
trap 'rm -rf "$edge_dir"' EXIT
"$PY/python" -m edge render "$edge_dir" >/dev/null
"$PY/envoy" --mode validate -c "$edge_dir/envoy.json" -l error
step "shell scripts parse"
for script in scripts/*.sh .ci/run; do bash -n "$script"; done
echo "all checks passed"
