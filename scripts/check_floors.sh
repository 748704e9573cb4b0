#!/usr/bin/env bash
# `make floors`: the dependency floors in the pyproject files are true. A copy of the checkout is
# resolved with every direct dependency at its lowest allowed version (uv's lowest-direct), and the
# unit tests run against that environment. The copy keeps this checkout's uv.lock and .venv untouched.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
"$ROOT/scripts/install.sh" python >/dev/null
copy="$VAR/floors"
rm -rf "$copy"
mkdir -p "$copy"
(cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t "$copy")
cd "$copy"
UV_PYTHON_DOWNLOADS=never "$VAR/tools/bin/uv" sync --resolution lowest-direct --python python3 --quiet
log "floors: resolved at the lowest direct versions:"
"$VAR/tools/bin/uv" pip list --python .venv/bin/python 2>/dev/null |
  grep -Ei '^(protobuf|grpcio|stripe|sqlalchemy|psycopg|redis|pika|alembic|protovalidate|cryptography|googleapis-common-protos) ' >&2 || true
.venv/bin/pytest tests/unit -q -p no:cacheprovider
