#!/usr/bin/env bash
# `make bench` / `make bench-report`: the flash-sale benchmark on demand (not in CI). It needs only
# PostgreSQL and Redis, started here if they are not running; it starts what it measures itself.
#   scripts/bench.sh [run|report|capacity|queue] [--quick]   (capacity: docs/capacity.md, ~1 min;
#   queue: the waiting room's benchmark, ~3 min)
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"$ROOT/scripts/install.sh" python go
"$ROOT/scripts/services.sh" start
"$ROOT/.venv/bin/apextick-booking" migrate 2>>"$LOG/migrate.log"
cd "$ROOT"
case "${1:-run}" in
  run) shift || true; exec .venv/bin/python -m benchmarks.flash_sale.run "$@" ;;
  report) shift; exec .venv/bin/python -m benchmarks.report "$@" ;;
  capacity) shift; exec .venv/bin/python -m benchmarks.flash_sale.capacity "$@" ;;
  queue) shift; exec .venv/bin/python -m benchmarks.waiting_room.run "$@" ;;
  *) echo "usage: $0 [run|report|capacity|queue] [--quick]" >&2; exit 2 ;;
esac
