#!/usr/bin/env bash
# The OpenAPI 3 document of the REST edge, generated from the same protos (google.api.http rules)
# with gnostic's protoc-gen-openapi, kept in the repo for REST clients and checked fresh:
#   scripts/gen_openapi.sh           regenerate edge/openapi.yaml
#   scripts/gen_openapi.sh --check   fail if the committed document is stale
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/.venv/bin/python
PLUGIN=$ROOT/var/bin/protoc-gen-openapi
[[ -x $PLUGIN ]] || "$ROOT/scripts/install.sh" go

generate() {
  local out=$1 wkt maps="" proto services
  wkt=$("$PY" -c 'import grpc_tools, pathlib; print(pathlib.Path(grpc_tools.__file__).parent / "_proto")')
  # The plugin insists on Go import paths; ours are nominal (no Go code is generated).
  while IFS= read -r proto; do
    maps+=",M$proto=apextick.dev/gen/$(dirname "$proto")"
  done < <(cd "$ROOT/protos" && find apextick -name '*.proto' | sort)
  mapfile -t services < <(cd "$ROOT/protos" && find apextick -name '*_service.proto' | sort)
  (cd "$ROOT/protos" && "$PY" -m grpc_tools.protoc -I . -I ../third_party/proto -I "$wkt" \
    --plugin=protoc-gen-openapi="$PLUGIN" \
    "--openapi_out=fq_schema_naming=true,default_response=true,enum_type=string,title=ApexTick,version=v1$maps:$out" \
    "${services[@]}")
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
generate "$tmp"
if [[ "${1:-}" == "--check" ]]; then
  if ! diff -q "$tmp/openapi.yaml" "$ROOT/edge/openapi.yaml" >/dev/null 2>&1; then
    echo "edge/openapi.yaml is stale: run scripts/gen_openapi.sh and commit the result" >&2
    exit 1
  fi
  echo "OpenAPI document is fresh"
else
  cp "$tmp/openapi.yaml" "$ROOT/edge/openapi.yaml"
  echo "generated edge/openapi.yaml"
  # The web app's API types follow the document (make check compares them too).
  if [[ -d $ROOT/clients/web/node_modules ]]; then
    (cd "$ROOT/clients/web" && npx --no-install openapi-typescript ../../edge/openapi.yaml -o src/api/schema.d.ts >/dev/null)
    echo "generated clients/web/src/api/schema.d.ts"
  fi
fi
