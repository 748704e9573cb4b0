#!/usr/bin/env bash
# Creates the Secrets the manifests reference (never committed): fresh random values for what the
# platform generates itself, the payment providers' and mail server's credentials from the caller's
# environment. Existing Secrets are left alone (re-running never rotates a key by accident).
#   k8s/create-secrets.sh [NAMESPACE]      # default: apextick; needs kubectl and a current context
# The operators create the rest: apextick-db-app and keycloak-db-app (CloudNativePG),
# apextick-mq-default-user (RabbitMQ's cluster operator).
set -euo pipefail
ns=${1:-apextick}
random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

create() {  # create NAME KEY=VALUE...
  local name=$1
  shift
  if kubectl -n "$ns" get secret "$name" >/dev/null 2>&1; then
    echo "secret/$name exists; kept"
    return
  fi
  local args=()
  for pair in "$@"; do args+=(--from-literal="$pair"); done
  kubectl -n "$ns" create secret generic "$name" "${args[@]}"
}

kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
redis_password=$(random)
client_secret=$(random)
create apextick-redis "password=$redis_password"
create apextick-booking \
  "APEXTICK_REDIS_URL=redis://:$redis_password@redis:6379/0" \
  "APEXTICK_TICKET_SIGNING_SECRET=$(random)" \
  "APEXTICK_QUEUE_PASS_SECRET=$(random)" \
  "APEXTICK_SERVICE_CLIENT_SECRET=$client_secret" \
  "APEXTICK_STRIPE_API_KEY=${APEXTICK_STRIPE_API_KEY:-}" \
  "APEXTICK_STRIPE_WEBHOOK_SECRET=${APEXTICK_STRIPE_WEBHOOK_SECRET:-}" \
  "APEXTICK_PAYHERE_MERCHANT_ID=${APEXTICK_PAYHERE_MERCHANT_ID:-}" \
  "APEXTICK_PAYHERE_MERCHANT_SECRET=${APEXTICK_PAYHERE_MERCHANT_SECRET:-}" \
  "APEXTICK_ONEPAY_APP_ID=${APEXTICK_ONEPAY_APP_ID:-}" \
  "APEXTICK_ONEPAY_APP_TOKEN=${APEXTICK_ONEPAY_APP_TOKEN:-}" \
  "APEXTICK_ONEPAY_HASH_SALT=${APEXTICK_ONEPAY_HASH_SALT:-}"
create apextick-notification \
  "APEXTICK_SMTP_USER=${APEXTICK_SMTP_USER:-}" \
  "APEXTICK_SMTP_PASSWORD=${APEXTICK_SMTP_PASSWORD:-}"
create apextick-identity \
  "APEXTICK_SERVICE_CLIENT_SECRET=$client_secret" \
  "APEXTICK_DEMO_PASSWORD=$(random)" \
  "APEXTICK_SMTP_HOST=${APEXTICK_SMTP_HOST:-smtp.apextick.example}" \
  "APEXTICK_SMTP_PORT=${APEXTICK_SMTP_PORT:-587}" \
  "GOOGLE_CLIENT_ID=${GOOGLE_CLIENT_ID:-unset}" \
  "GOOGLE_CLIENT_SECRET=${GOOGLE_CLIENT_SECRET:-unset}"
create apextick-keycloak-admin "username=admin" "password=$(random)"
