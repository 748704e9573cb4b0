#!/usr/bin/env bash
# Generates the committed Python code (messages, gRPC stubs, .pyi stubs) from protos/ into gen/python.
#   scripts/gen_protos.sh           regenerate in place
#   scripts/gen_protos.sh --check   fail if the committed code differs from a fresh generation
#                                   (generated files only: .py and .pyi; caches and the like are not ours)
#   scripts/gen_protos.sh --baseline  record the contracts as the breaking-change baseline
#                                   (protos/baseline.binpb); do it on purpose, when a release is cut
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

# generated_files DIR: the generated files under DIR, relative and sorted (never __pycache__ or editor files).
generated_files() {
  (cd "$1" && find . -type f \( -name '*.py' -o -name '*.pyi' \) -not -path '*/__pycache__/*' | sort)
}

if [[ "${1:-}" == "--check" ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  generate "$tmp"
  stale=0
  if ! diff <(generated_files "$ROOT/gen/python") <(generated_files "$tmp") >&2; then
    stale=1 # a file is missing on one side
  fi
  while read -r file; do
    if [[ -f "$ROOT/gen/python/$file" ]] && ! cmp -s "$ROOT/gen/python/$file" "$tmp/$file"; then
      echo "differs: gen/python/${file#./}" >&2
      stale=1
    fi
  done < <(generated_files "$tmp")
  if ((stale)); then
    echo "gen/python is stale: run scripts/gen_protos.sh and commit the result" >&2
    exit 1
  fi
  echo "generated code is fresh"
elif [[ "${1:-}" == "--baseline" ]]; then
  (cd "$ROOT" && "$VENV_BIN/buf" build protos --exclude-source-info -o protos/baseline.binpb)
  echo "recorded protos/baseline.binpb: commit it with the release it describes"
else
  rm -rf "$ROOT/gen/python"
  generate "$ROOT/gen/python"
  echo "generated into gen/python"
fi
