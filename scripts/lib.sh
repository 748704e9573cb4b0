# shellcheck shell=bash
# Common settings for the local-stack scripts (install.sh, services.sh, CI).
#
# Source it; do not run it:   source scripts/lib.sh
#
# It sets no shell options (set -e/-u/pipefail are the caller's business, so
# sourcing it from an interactive shell cannot kill that shell), but every
# function here is safe under `set -euo pipefail`.
#
# After sourcing, the environment holds (all exported):
#   APEXTICK_HOST            127.0.0.1: every service listens on loopback only
#   APEXTICK_*_PORT          ports, defaults below; a value in the env wins
#   APEXTICK_{PG,REDIS,RABBITMQ}_PASSWORD, the ticket signing secret and the
#   payment secrets (Stripe webhook, PayHere merchant, Onepay salt and token)
#   and the confidential service client's secret (Keycloak reads it from here)
#                            from var/secrets.env, generated on first use
#                            (the file wins over the env, see ensure_secrets)
#   APEXTICK_DATABASE_URL    postgresql://apextick:PW@127.0.0.1:PORT/apextick
#   APEXTICK_REDIS_URL       redis://default:PW@127.0.0.1:PORT/0
#   APEXTICK_AMQP_URL        amqp://apextick:PW@127.0.0.1:PORT/%2F
#                            a URL already in the env wins, so CI or a user
#                            can point the code at other servers.
#   APEXTICK_STRIPE_*, APEXTICK_PAYHERE_*, APEXTICK_ONEPAY_*
#                            local payment settings: stripe-mock and the
#                            Onepay sandbox stand-in (see the end of this file)
# shell variables ROOT VAR RUN LOG BIN SECRETS_FILE, and the helpers log, die,
# pid_of, pid_alive, proc_alive, pid_listens, port_open, wait_for.

# Repo root from this file's location, so the scripts work from any cwd and in
# any clone (CI clones elsewhere). RUN/LOG/BIN are for the scripts sourcing us.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VAR="$ROOT/var"        # git-ignored runtime data
# shellcheck disable=SC2034
{
  RUN="$VAR/run"       # pid files (and the PostgreSQL socket)
  LOG="$VAR/log"       # service logs
  BIN="$VAR/bin"       # Go tools (grpcurl, ghz, stripe-mock)
}
SECRETS_FILE="$VAR/secrets.env"

export APEXTICK_HOST=127.0.0.1
export APEXTICK_PG_PORT="${APEXTICK_PG_PORT:-5432}"
export APEXTICK_REDIS_PORT="${APEXTICK_REDIS_PORT:-6379}"
export APEXTICK_RABBITMQ_PORT="${APEXTICK_RABBITMQ_PORT:-5672}"
# Erlang distribution port of our RabbitMQ node (rabbitmqctl talks to it).
export APEXTICK_RABBITMQ_DIST_PORT="${APEXTICK_RABBITMQ_DIST_PORT:-25672}"
# Our own epmd (Erlang port mapper), off the standard 4369 so our node never
# registers with, or is confused with, a system Erlang's epmd.
export APEXTICK_EPMD_PORT="${APEXTICK_EPMD_PORT:-24369}"
export APEXTICK_BOOKING_PORT="${APEXTICK_BOOKING_PORT:-50051}"
export APEXTICK_NOTIFICATION_PORT="${APEXTICK_NOTIFICATION_PORT:-50052}"
export APEXTICK_IDENTITY_PORT="${APEXTICK_IDENTITY_PORT:-8180}"
# Local stand-ins for the payment providers (scripts/services.sh starts them): stripe-mock for Stripe (HTTP
# port; HTTPS on the next one) and devstack/onepay_sandbox.py for Onepay.
export APEXTICK_STRIPE_MOCK_PORT="${APEXTICK_STRIPE_MOCK_PORT:-12111}"
export APEXTICK_ONEPAY_SANDBOX_PORT="${APEXTICK_ONEPAY_SANDBOX_PORT:-12113}"
# The test payment page that stands in for Stripe's hosted Checkout page (devstack/test_checkout.py).
export APEXTICK_TEST_CHECKOUT_PORT="${APEXTICK_TEST_CHECKOUT_PORT:-12114}"
# The local SMTP catcher (devstack/mail_catcher.py): Keycloak and the notification service send there.
export APEXTICK_SMTP_PORT="${APEXTICK_SMTP_PORT:-1025}"
export APEXTICK_MAIL_HTTP_PORT="${APEXTICK_MAIL_HTTP_PORT:-8025}"
# The web app's static server, reached through the edge's same-origin route.
export APEXTICK_WEB_PORT="${APEXTICK_WEB_PORT:-3000}"
export APEXTICK_PROMETHEUS_PORT="${APEXTICK_PROMETHEUS_PORT:-9090}"

# The secrets are the only things the URLs need that are not in the repo.
# The payment ones sign webhooks and provider requests between our code and the local stand-ins.
APEXTICK_SECRET_KEYS=(APEXTICK_PG_PASSWORD APEXTICK_REDIS_PASSWORD APEXTICK_RABBITMQ_PASSWORD APEXTICK_TICKET_SIGNING_SECRET
  APEXTICK_STRIPE_WEBHOOK_SECRET APEXTICK_PAYHERE_MERCHANT_SECRET APEXTICK_ONEPAY_HASH_SALT APEXTICK_ONEPAY_APP_TOKEN
  APEXTICK_SERVICE_CLIENT_SECRET APEXTICK_QUEUE_PASS_SECRET)

# ---------------------------------------------------------------- helpers

# Tag for log lines: the running script's name (or "lib" in an interactive shell).
_apextick_tag() {
  local tag="${0##*/}"
  [[ $tag == -* || $tag == bash ]] && tag=lib
  printf '%s' "$tag"
}

# log MSG...: progress and diagnostics go to stderr so stdout stays parseable.
log() {
  printf '[apextick %s] %s\n' "$(_apextick_tag)" "$*" >&2
}

# die MSG...: log and exit 1 (meant for the scripts, not an interactive shell).
die() {
  log "ERROR: $*"
  exit 1
}

# pid_of FILE: print the pid recorded in FILE (first line), fail if none.
pid_of() {
  local file=$1 pid
  [[ -s $file ]] || return 1
  pid="$(head -n 1 "$file" 2>/dev/null)" || return 1
  pid="${pid//[[:space:]]/}"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  printf '%s' "$pid"
}

# proc_alive PID [COMM]: PID exists, is not a zombie and (if given) its
# command name is COMM. The COMM check guards against a recycled pid after a
# reboot or crash. /proc is used rather than `kill -0`, which fails with EPERM
# for processes of other users (postgres runs as `postgres`).
proc_alive() {
  local pid=$1 want=${2-} comm
  [[ -d /proc/$pid ]] || return 1
  if grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then
    return 1
  fi
  if [[ -n $want ]]; then
    comm="$(cat "/proc/$pid/comm" 2>/dev/null)" || return 1
    [[ $comm == "$want" ]] || return 1
  fi
  return 0
}

# pid_alive FILE [COMM]: the process recorded in pid file FILE is running.
pid_alive() {
  local pid
  pid="$(pid_of "$1")" || return 1
  proc_alive "$pid" "${2-}"
}

# wait_for CMD...: run CMD (quietly) every 0.2 s until it succeeds; fail after
# WAIT_TIMEOUT seconds (default 60). A CMD exit status of 255 means "give up
# now" (probes use it when the process they wait for has died), which saves
# sitting out the whole timeout on a failed start.
wait_for() {
  local timeout="${WAIT_TIMEOUT:-60}" rc
  local deadline=$((SECONDS + timeout))
  while :; do
    rc=0
    "$@" >/dev/null 2>&1 || rc=$?
    ((rc == 0)) && return 0
    ((rc == 255)) && return 1
    ((SECONDS >= deadline)) && return 1
    sleep 0.2
  done
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
# Bash's /dev/tcp needs no extra tool and costs a millisecond.
port_open() {
  (exec 3<>"/dev/tcp/$APEXTICK_HOST/$1") 2>/dev/null
}

# pid_listens PID PORT: PID itself holds a listening TCP socket on PORT.
# Stronger than port_open when a start might race another server on the same
# port (which would answer for us while ours fails to bind and exits). Reads
# /proc (no ss/lsof needed); needs to be PID's owner or root.
pid_listens() {
  local pid=$1 hex inodes sockets inode
  printf -v hex '%04X' "$2"
  # /proc/net/tcp*: field 2 is local addr:port in hex, 4 the state (0A =
  # LISTEN), 10 the socket inode; fd links of sockets read "socket:[INODE]".
  # (No `find | grep -q` here: under pipefail grep's early exit fails it.)
  inodes="$(awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" { print $10 }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null || true)"
  [[ -n $inodes ]] || return 1
  sockets="$(find "/proc/$pid/fd" -maxdepth 1 -lname 'socket:*' -printf '%l\n' 2>/dev/null || true)"
  while read -r inode; do
    [[ $sockets == *"socket:[$inode]"* ]] && return 0
  done <<<"$inodes"
  return 1
}

# random_secret: 32 hex chars (128 bits). Hex needs no escaping in URLs,
# SQL or config files.
random_secret() {
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -hex 16
  else
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
    echo
  fi
}

# urlencode STR: percent-encode for the userinfo part of a URL, in case a user
# puts a non-hex password into secrets.env.
urlencode() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c="${s:i:1}"
    case $c in
      [a-zA-Z0-9.~_-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c"; out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

# ensure_secrets: create $VAR/secrets.env on first use (mode 600), add any key
# it lacks, then load it. The file, not the environment, is the source of
# truth for the local servers' passwords: services started from one shell and
# clients started from another must agree.
ensure_secrets() {
  local key missing=()
  mkdir -p "$VAR"
  for key in "${APEXTICK_SECRET_KEYS[@]}"; do
    grep -q "^${key}=" "$SECRETS_FILE" 2>/dev/null || missing+=("$key")
  done
  if ((${#missing[@]})); then
    # umask in a subshell: the file must never exist world-readable, not even
    # for the instant between creation and chmod.
    (
      umask 077
      [[ -e $SECRETS_FILE ]] || printf '# Local-stack secrets, generated by scripts/lib.sh. Never commit.\n' >"$SECRETS_FILE"
      for key in "${missing[@]}"; do
        printf '%s=%s\n' "$key" "$(random_secret)" >>"$SECRETS_FILE"
      done
    )
  fi
  chmod 600 "$SECRETS_FILE"
  # shellcheck source=/dev/null
  . "$SECRETS_FILE"
  for key in "${APEXTICK_SECRET_KEYS[@]}"; do
    export "${key?}"
  done
}

ensure_secrets

: "${APEXTICK_DATABASE_URL:=postgresql://apextick:$(urlencode "$APEXTICK_PG_PASSWORD")@$APEXTICK_HOST:$APEXTICK_PG_PORT/apextick}"
: "${APEXTICK_REDIS_URL:=redis://default:$(urlencode "$APEXTICK_REDIS_PASSWORD")@$APEXTICK_HOST:$APEXTICK_REDIS_PORT/0}"
: "${APEXTICK_AMQP_URL:=amqp://apextick:$(urlencode "$APEXTICK_RABBITMQ_PASSWORD")@$APEXTICK_HOST:$APEXTICK_RABBITMQ_PORT/%2F}"
export APEXTICK_DATABASE_URL APEXTICK_REDIS_URL APEXTICK_AMQP_URL

# Payment providers for the local stack: test-mode identifiers only, pointed at the local stand-ins. A value
# already in the env wins, so a developer can point one provider at its real sandbox. stripe-mock accepts any
# sk_test_ key; 1221149 has the shape of a PayHere sandbox merchant id.
: "${APEXTICK_STRIPE_API_KEY:=sk_test_apextick}"
: "${APEXTICK_STRIPE_API_BASE:=http://$APEXTICK_HOST:$APEXTICK_STRIPE_MOCK_PORT}"
: "${APEXTICK_STRIPE_TEST_CHECKOUT_URL:=http://localhost:$APEXTICK_TEST_CHECKOUT_PORT/pay}"
: "${APEXTICK_PAYHERE_MERCHANT_ID:=1221149}"
: "${APEXTICK_PAYHERE_NOTIFY_URL:=http://$APEXTICK_HOST:${APEXTICK_EDGE_REST_PORT:-8080}/v1/webhooks/payhere}"
: "${APEXTICK_ONEPAY_APP_ID:=APEXTICKLOCAL}"
: "${APEXTICK_ONEPAY_API_BASE:=http://$APEXTICK_HOST:$APEXTICK_ONEPAY_SANDBOX_PORT}"
export APEXTICK_STRIPE_API_KEY APEXTICK_STRIPE_API_BASE APEXTICK_STRIPE_TEST_CHECKOUT_URL APEXTICK_PAYHERE_MERCHANT_ID APEXTICK_PAYHERE_NOTIFY_URL \
  APEXTICK_ONEPAY_APP_ID APEXTICK_ONEPAY_API_BASE
