#!/usr/bin/env bash
# `make test`: install what is missing, start the backing services and Keycloak if they are not running, and run
# the whole suite (unit, integration, end to end) against them. Extra arguments go to pytest.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/install.sh"
"$ROOT/scripts/services.sh" start
"$ROOT/scripts/keycloak.sh" start
eval "$("$ROOT/scripts/keycloak.sh" env)"
cd "$ROOT"
exec .venv/bin/pytest "$@"
