#!/usr/bin/env bash
# Writes .env (git-ignored) for `docker compose up`: fresh random secrets, once. An existing .env is
# kept, so the database password still matches the volume it created.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
target=$ROOT/.env
if [[ -f $target ]]; then
  echo "$target exists; keeping it"
  exit 0
fi
secret() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
umask 077
{
  for key in APEXTICK_PG_PASSWORD APEXTICK_AMQP_PASSWORD APEXTICK_SERVICE_CLIENT_SECRET \
    APEXTICK_TICKET_SIGNING_SECRET APEXTICK_QUEUE_PASS_SECRET APEXTICK_STRIPE_WEBHOOK_SECRET APEXTICK_KEYCLOAK_ADMIN_PASSWORD \
    APEXTICK_DEMO_PASSWORD; do
    printf '%s=%s\n' "$key" "$(secret)"
  done
} >"$target"
echo "wrote $target"
