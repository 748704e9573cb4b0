#!/usr/bin/env bash
# Generates the committed Python code (messages, gRPC stubs, .pyi stubs) from protos/ into gen/python.
#   scripts/gen_protos.sh           regenerate in place
#   scripts/gen_protos.sh --check   fail if the committed code differs from a fresh generation
# Our contracts plus the vendored buf/validate proto are generated; google/api and google/rpc come
# at run time from the googleapis-common-protos package, google/protobuf from protobuf itself.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
VENV_BIN=$(dirname "$PY")

generate() {
  local out=$1
  local wkt
  wkt=$("$PY" -c 'import grpc_tools, pathlib; print(pathlib.Path(grpc_tools.__file__).parent / "_proto")')
  mkdir -p "$out"
  local protos
  mapfile -t protos < <(cd "$ROOT/protos" && find apextick -name '*.proto' | sort)
  # protoc-gen-mypy announces every file it writes on stderr: keep that out of the way.
  (cd "$ROOT" && PATH="$VENV_BIN:$PATH" "$PY" -m grpc_tools.protoc \
    -I protos -I third_party/proto -I "$wkt" \
    --python_out="$out" --mypy_out="$out" \
    --grpc_python_out="$out" --mypy_grpc_out="$out" \
    "${protos[@]/#/protos/}") 2> >(grep -v '^Writing mypy to' >&2)
  (cd "$ROOT" && PATH="$VENV_BIN:$PATH" "$PY" -m grpc_tools.protoc \
    -I third_party/proto -I "$wkt" --python_out="$out" --mypy_out="$out" buf/validate/validate.proto) \
    2> >(grep -v '^Writing mypy to' >&2)
  # Explicit packages, so mypy, hatch and plain imports all agree on apextick.<area>.v1.
  find "$out" -mindepth 1 -type d -exec touch {}/__init__.py \;
}

if [[ "${1:-}" == "--check" ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  generate "$tmp"
  if ! diff -r -q "$ROOT/gen/python" "$tmp" >/dev/null; then
    diff -r -q "$ROOT/gen/python" "$tmp" || true
    echo "gen/python is stale: run scripts/gen_protos.sh and commit the result" >&2
    exit 1
  fi
  echo "generated code is fresh"
else
  rm -rf "$ROOT/gen/python"
  generate "$ROOT/gen/python"
  echo "generated into gen/python"
fi
