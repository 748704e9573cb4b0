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
step "buf breaking against the recorded baseline"
# protos/baseline.binpb is the contracts as last released, recorded on purpose (scripts/gen_protos.sh
# --baseline). Comparing with a branch would compare main with itself on a clean clone of main.
"$PY/buf" breaking protos --against protos/baseline.binpb
echo "no breaking change against protos/baseline.binpb"
step "import boundaries (import-linter)"
"$PY/lint-imports" --no-cache
step "generated code is fresh"
scripts/gen_protos.sh --check
step "OpenAPI document is fresh"
scripts/gen_openapi.sh --check
step "envoy --mode validate (the generated edge configuration)"
edge_dir=$(mktemp -d)
trap 'rm -rf "$edge_dir"' EXIT
APEXTICK_WEB_PORT=3000 "$PY/python" -m edge render "$edge_dir" >/dev/null  # the web route validated too
"$PY/envoy" --mode validate -c "$edge_dir/envoy.json" -l error
step "Prometheus rules (promtool)"
scripts/install.sh apt >/dev/null
promtool check rules k8s/monitoring/rules.yml
step "deployment: kustomize overlays validated (schemas, rules, a real API server's dry-run), edge per overlay, Dockerfiles, compose"
scripts/install.sh go k8s >/dev/null
"$PY/python" -m devstack.deploy_check
step "web app: types are fresh, TypeScript checks, ESLint"
scripts/install.sh web >/dev/null
(
  cd clients/web
  fresh=$(mktemp)
  npx --no-install openapi-typescript ../../edge/openapi.yaml -o "$fresh" >/dev/null 2>&1
  cmp -s "$fresh" src/api/schema.d.ts || { rm -f "$fresh"; echo "src/api/schema.d.ts is stale: npm run gen:api"; exit 1; }
  rm -f "$fresh"
  npx --no-install tsc -b
  npx --no-install eslint .
)
echo "web app checks passed"
step "load generator: gofmt and go vet (benchmarks/loadgen)"
go_bin=$(command -v go || echo /usr/local/go/bin/go)
unformatted=$(cd benchmarks/loadgen && "$(dirname "$go_bin")/gofmt" -l .)
[[ -z $unformatted ]] || { echo "gofmt would change: $unformatted"; exit 1; }
(cd benchmarks/loadgen && "$go_bin" vet .)
echo "loadgen checks passed"
step "dependency floors are true (lowest-direct resolution, unit tests)"
scripts/check_floors.sh
step "shell scripts parse"
for script in scripts/*.sh k8s/*.sh .ci/run; do bash -n "$script"; done
echo "all checks passed"
