#!/usr/bin/env bash
# Start, stop and inspect the local backing services, all on 127.0.0.1:
#
#   scripts/services.sh start|stop|restart|status [pg|redis|rabbitmq|stripe-mock|onepay|checkout ...]
#   scripts/services.sh crash pg     (immediate shutdown, then start: crash recovery, for fault tests)
#   scripts/services.sh rabbitmqctl ARGS...     (rabbitmqctl against our node)
#
# Default: all of them (stripe-mock and onepay are the local stand-ins for the
# Stripe and Onepay APIs; checkout is the test payment page in place of Stripe's
# hosted Checkout page). Data lives in var/<service>, logs in var/log,
# pid files in var/run. `start` is idempotent (a service already running from
# our pid file and answering is left alone); `stop` signals exactly the pid we
# recorded and waits for it to exit. `status` exits 0 only if every named
# service is running and answering, 3 otherwise.
#
# Ports and passwords come from scripts/lib.sh (APEXTICK_*_PORT env vars,
# var/secrets.env). Needs the packages from scripts/install.sh apt.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SERVICES=(pg redis rabbitmq stripe_mock onepay checkout)
# fd of the per-checkout lock that main takes (bash picks the number; 9 is a
# placeholder so the `{LOCK_FD}>&-` redirections are valid before that).
# Daemons must not inherit it: they would hold the lock for their whole life
# and the next start/stop would wait forever. Every launch below closes it.
LOCK_FD=9
START_TIMEOUT=90 # seconds; RabbitMQ boots in ~5-10 s, the rest in ~1 s
STOP_TIMEOUT=60

# start_bg LOGFILE CMD...: run CMD in the background, in directory START_DIR
# (default /), detached from our terminal and session (setsid: no SIGHUP or
# Ctrl-C from the shell that started it; stdio closed or in the log, so a
# caller capturing our output never hangs on a daemon holding the pipe).
# Sets BG_PID. The subshell execs setsid, and a background child is never a
# process group leader so setsid execs in place too: BG_PID is CMD's own pid.
start_bg() {
  local logfile=$1
  shift
  (cd "${START_DIR:-/}" && exec setsid "$@") </dev/null >>"$logfile" 2>&1 {LOCK_FD}>&- &
  BG_PID=$!
}

# record_pid FROM TO: copy the pid from pid file FROM (first line) to TO.
record_pid() {
  local pid
  pid="$(pid_of "$1")"
  printf '%s\n' "$pid" >"$2"
}

proc_gone() {
  ! proc_alive "$1"
}

# stop_pidfile NAME PIDFILE COMM SIGNAL: signal the recorded pid (only if it
# still is a COMM process) and wait for it to exit; SIGKILL after
# STOP_TIMEOUT seconds as a last resort.
stop_pidfile() {
  local name=$1 file=$2 comm=$3 signal=$4 pid
  if ! pid_alive "$file" "$comm"; then
    [[ -e $file ]] && log "$name: removing stale pid file $file"
    rm -f "$file"
    return 0
  fi
  pid="$(pid_of "$file")"
  log "$name: stopping pid $pid (SIG$signal)"
  kill -s "$signal" "$pid" 2>/dev/null || true
  if ! WAIT_TIMEOUT=$STOP_TIMEOUT wait_for proc_gone "$pid"; then
    log "$name: pid $pid still running after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -s KILL "$pid" 2>/dev/null || true
    WAIT_TIMEOUT=10 wait_for proc_gone "$pid" || die "$name: pid $pid survived SIGKILL"
  fi
  rm -f "$file"
}

# show_log FILE: the end of a log, for a failed start.
show_log() {
  [[ -r $1 ]] || return 0
  log "last lines of $1:"
  tail -n 25 "$1" >&2 || true
}

# ================================================================ PostgreSQL
#
# PostgreSQL refuses to run as root, so as root the server (initdb, pg_ctl,
# the admin psql) runs as the `postgres` user of the Debian package, and the
# directories it writes are chowned to it. Its superuser is named after the
# OS user running it, so peer auth on the socket works without a password;
# TCP connections (what the app and tests use) need scram-sha-256.

PG_PIDFILE="$RUN/pg.pid"

# pg_layout: set PG_DATA, PG_SOCK (socket dir), PG_LOGFILE, PG_OWNER, PG_SUPER.
pg_layout() {
  PG_DATA="$VAR/pg"
  PG_SOCK="$RUN"
  PG_LOGFILE="$LOG/pg.log"
  PG_OWNER=""
  PG_SUPER="$(id -un)"
  ((EUID == 0)) || return 0
  PG_OWNER=postgres
  PG_SUPER=postgres
  id -u postgres >/dev/null 2>&1 || die "pg: no 'postgres' user (run: scripts/install.sh apt)"
  # $VAR itself is ours to open up (traverse only); its ancestors are not.
  chmod o+x "$VAR"
  if ! runuser -u postgres -- test -x "$VAR"; then
    # An ancestor of the checkout (e.g. /root, mode 700) is closed to the
    # postgres user. Keep its files under /var/tmp, one dir per checkout, and
    # leave a symlink at var/pg so the data is still found from the repo.
    local home
    home="/var/tmp/apextick-pg-$(printf '%s' "$VAR" | sha256sum | cut -c1-12)"
    if [[ ! -L $PG_DATA && -e $home ]]; then
      # var/ was wiped since: its cluster must go too (its passwords are gone).
      rm -rf "$home"
    fi
    mkdir -p "$home"
    chmod 755 "$home"
    ln -sfn "$home/data" "$PG_DATA"
    ln -sfn "$home/pg.log" "$PG_LOGFILE"
    PG_DATA="$home/data"
    PG_SOCK="$home/run"
    PG_LOGFILE="$home/pg.log"
    log "pg: $ROOT is not reachable by the postgres user; using $home"
  fi
}

# pg_run CMD...: run CMD as the server's OS user, from a cwd it can read,
# without our lock fd (pg_ctl start leaves the postmaster running).
pg_run() {
  if [[ -n $PG_OWNER ]]; then
    (cd / && runuser -u "$PG_OWNER" -- "$@") {LOCK_FD}>&-
  else
    (cd / && "$@") {LOCK_FD}>&-
  fi
}

# pg_bindir: binaries of the cluster's major version, or the newest installed.
pg_bindir() {
  local version dir
  if [[ -s $PG_DATA/PG_VERSION ]]; then
    version="$(cat "$PG_DATA/PG_VERSION")"
    dir="/usr/lib/postgresql/$version/bin"
    [[ -x $dir/pg_ctl ]] || die "pg: $PG_DATA is a PostgreSQL $version cluster but $dir/pg_ctl is missing"
  else
    dir="$(compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' | sort -V | tail -n 1 || true)"
    [[ -n $dir ]] || die "pg: PostgreSQL is not installed (run: scripts/install.sh apt)"
    dir="${dir%/pg_ctl}"
  fi
  printf '%s' "$dir"
}

pg_answering() {
  "$PG_BIN/pg_isready" -q -h "$APEXTICK_HOST" -p "$APEXTICK_PG_PORT" -t 2
}

# pg_prepare_dirs: directories the server writes must belong to its user.
pg_prepare_dirs() {
  mkdir -p "$PG_DATA" "$PG_SOCK" "$(dirname "$PG_LOGFILE")"
  touch "$PG_LOGFILE"
  if [[ -n $PG_OWNER ]]; then
    chown "$PG_OWNER:" "$PG_DATA" "$PG_LOGFILE"
    # The socket dir is var/run, shared with our pid files: group-writable
    # for postgres rather than handed over.
    chgrp "$PG_OWNER" "$PG_SOCK"
    chmod 775 "$PG_SOCK"
  fi
  chmod 700 "$PG_DATA"
}

pg_initdb() {
  log "pg: initdb $PG_DATA"
  # No locale: byte-order collation, the same on every machine.
  pg_run "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPER" --encoding=UTF8 --no-locale \
    --auth-local=peer --auth-host=scram-sha-256 >>"$PG_LOGFILE" 2>&1 ||
    { show_log "$PG_LOGFILE"; die "pg: initdb failed"; }
  echo "include_if_exists = 'apextick.conf'   # written by scripts/services.sh" >>"$PG_DATA/postgresql.conf"
}

# pg_write_conf: our settings, rewritten on every start so that a changed
# APEXTICK_PG_PORT applies; included at the end of postgresql.conf.
pg_write_conf() {
  cat >"$PG_DATA/apextick.conf" <<EOF
# Generated by scripts/services.sh on every start: edit the script, not this.
listen_addresses = '$APEXTICK_HOST'
port = $APEXTICK_PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
shared_buffers = 256MB
# Durability as in production (these are the defaults, stated so that nobody
# "speeds up" the tests by dropping them).
fsync = on
synchronous_commit = on
password_encryption = scram-sha-256
EOF
  [[ -z $PG_OWNER ]] || chown "$PG_OWNER:" "$PG_DATA/apextick.conf"
}

# pg_provision: role apextick (password from secrets, CREATEDB so tests can
# make scratch databases) and database apextick owned by it. Idempotent; the
# password is re-set every start so a regenerated secrets.env takes effect.
# SQL goes through stdin so the password never shows in `ps`.
pg_provision() {
  local pw="${APEXTICK_PG_PASSWORD//\'/\'\'}"
  pg_run "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$APEXTICK_PG_PORT" \
    -U "$PG_SUPER" -d postgres >/dev/null <<EOF
SELECT 'CREATE ROLE apextick' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'apextick')
\gexec
ALTER ROLE apextick WITH LOGIN CREATEDB PASSWORD '$pw';
SELECT 'CREATE DATABASE apextick OWNER apextick'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'apextick')
\gexec
EOF
}

pg_start() {
  pg_layout
  PG_BIN="$(pg_bindir)"
  if pid_alive "$PG_PIDFILE" postgres; then
    if WAIT_TIMEOUT=10 wait_for pg_answering; then
      log "pg: already running (pid $(pid_of "$PG_PIDFILE"))"
      return 0
    fi
    die "pg: pid $(pid_of "$PG_PIDFILE") is running but not answering on port $APEXTICK_PG_PORT"
  fi
  rm -f "$PG_PIDFILE"
  # A server on our data dir whose pid file in var/run was lost: adopt it
  # rather than let pg_ctl fail on "another server might be running".
  if pid_alive "$PG_DATA/postmaster.pid" postgres; then
    record_pid "$PG_DATA/postmaster.pid" "$PG_PIDFILE"
    log "pg: adopted running server pid $(pid_of "$PG_PIDFILE")"
    WAIT_TIMEOUT=30 wait_for pg_answering || die "pg: adopted server is not answering"
    return 0
  fi

  local t0=$SECONDS
  pg_prepare_dirs
  [[ -s $PG_DATA/PG_VERSION ]] || pg_initdb
  pg_write_conf
  if ! pg_run "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOGFILE" -w -t "$START_TIMEOUT" >/dev/null; then
    show_log "$PG_LOGFILE"
    die "pg: failed to start (port $APEXTICK_PG_PORT taken?)"
  fi
  record_pid "$PG_DATA/postmaster.pid" "$PG_PIDFILE"
  WAIT_TIMEOUT=30 wait_for pg_answering || die "pg: started but pg_isready fails"
  pg_provision
  log "pg: running (pid $(pid_of "$PG_PIDFILE"), $APEXTICK_HOST:$APEXTICK_PG_PORT, $((SECONDS - t0))s)"
}

pg_stop() {
  # SIGINT = "fast" shutdown: disconnect clients, checkpoint, exit.
  stop_pidfile pg "$PG_PIDFILE" postgres INT
}

# Immediate mode (SIGQUIT): no checkpoint, every backend gone at once; the next start replays the WAL.
pg_crash() {
  stop_pidfile pg "$PG_PIDFILE" postgres QUIT
}

pg_status() {
  pg_layout
  # Not installed: report it as not answering rather than abort the listing.
  PG_BIN="$(pg_bindir 2>/dev/null)" || PG_BIN=/nonexistent
  service_status pg "$PG_PIDFILE" postgres pg_answering "$APEXTICK_HOST:$APEXTICK_PG_PORT"
}

# ===================================================================== Redis

REDIS_DIR="$VAR/redis"
REDIS_PIDFILE="$RUN/redis.pid"

# redis_cli ARGS...: authenticated redis-cli; REDISCLI_AUTH keeps the
# password off the command line.
redis_cli() {
  REDISCLI_AUTH="$APEXTICK_REDIS_PASSWORD" redis-cli --no-auth-warning \
    -h "$APEXTICK_HOST" -p "$APEXTICK_REDIS_PORT" "$@"
}

redis_answering() {
  [[ $(redis_cli ping 2>/dev/null) == PONG ]]
}

# redis_probe PID: 0 when PID listens on our port and answers, 255 (give up)
# when PID died (e.g. port taken).
redis_probe() {
  proc_alive "$1" || return 255
  pid_listens "$1" "$APEXTICK_REDIS_PORT" && redis_answering
}

# redis_write_conf: a config file rather than flags, so requirepass is not in
# the process arguments; mode 600 because it holds the password.
redis_write_conf() {
  (
    umask 077
    cat >"$REDIS_DIR/redis.conf" <<EOF
# Generated by scripts/services.sh on every start: edit the script, not this.
bind $APEXTICK_HOST
port $APEXTICK_REDIS_PORT
protected-mode yes
requirepass $APEXTICK_REDIS_PASSWORD
# Keyspace notifications for expired keys (E = keyevent channel,
# x = expired events), for clients that subscribe to key expiry.
notify-keyspace-events Ex
dir $REDIS_DIR
logfile $LOG/redis.log
# A cache/lock store for tests: no RDB snapshots, no AOF.
save ""
appendonly no
# Foreground under our own pid tracking (see start_bg); no pidfile of its own.
daemonize no
EOF
  )
}

redis_start() {
  if pid_alive "$REDIS_PIDFILE" redis-server; then
    if WAIT_TIMEOUT=10 wait_for redis_answering; then
      log "redis: already running (pid $(pid_of "$REDIS_PIDFILE"))"
      return 0
    fi
    die "redis: pid $(pid_of "$REDIS_PIDFILE") is running but not answering on port $APEXTICK_REDIS_PORT"
  fi
  rm -f "$REDIS_PIDFILE"
  command -v redis-server >/dev/null || die "redis: redis-server not installed (run: scripts/install.sh apt)"
  local t0=$SECONDS
  mkdir -p "$REDIS_DIR"
  redis_write_conf
  start_bg "$LOG/redis.log" redis-server "$REDIS_DIR/redis.conf"
  echo "$BG_PID" >"$REDIS_PIDFILE"
  if ! WAIT_TIMEOUT=$START_TIMEOUT wait_for redis_probe "$BG_PID"; then
    show_log "$LOG/redis.log"
    stop_pidfile redis "$REDIS_PIDFILE" redis-server TERM
    die "redis: failed to start (port $APEXTICK_REDIS_PORT taken?)"
  fi
  log "redis: running (pid $BG_PID, $APEXTICK_HOST:$APEXTICK_REDIS_PORT, $((SECONDS - t0))s)"
}

redis_stop() {
  stop_pidfile redis "$REDIS_PIDFILE" redis-server TERM
}

redis_status() {
  service_status redis "$REDIS_PIDFILE" redis-server redis_answering "$APEXTICK_HOST:$APEXTICK_REDIS_PORT"
}

# ================================================================== RabbitMQ
#
# We call the upstream scripts in /usr/lib/rabbitmq/bin directly, not
# Debian's /usr/sbin wrappers: as root those `su` to the rabbitmq user, cd to
# /var/lib/rabbitmq and log to /var/log/rabbitmq. So the node runs as the
# invoking user with everything under var/, and the Erlang cookie is
# var/rabbitmq/.erlang.cookie (HOME points there for server and CLI alike).
# Every setting is in the environment of rmq_env, so the server and
# rabbitmqctl agree and nothing in /etc/rabbitmq is read.

RMQ_NODE="apextick@localhost"
RMQ_HOME="$VAR/rabbitmq"
RMQ_LOGDIR="$LOG/rabbitmq"
RMQ_PIDFILE="$RUN/rabbitmq.pid"   # the beam.smp pid, written by RabbitMQ itself
EPMD_PIDFILE="$RUN/epmd.pid"

rmq_sbin() {
  if [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
    echo /usr/lib/rabbitmq/bin
  else
    die "rabbitmq: /usr/lib/rabbitmq/bin/rabbitmq-server missing (run: scripts/install.sh apt)"
  fi
}

# rmq_env: the node's settings as NAME=VALUE words in RMQ_ENV, for `env` and
# `export`, so the server and every CLI call get exactly the same ones.
rmq_env() {
  RMQ_ENV=(
    # The Erlang cookie is read from $HOME/.erlang.cookie.
    "HOME=$RMQ_HOME"
    "RABBITMQ_NODENAME=$RMQ_NODE"
    "RABBITMQ_NODE_IP_ADDRESS=$APEXTICK_HOST"
    "RABBITMQ_NODE_PORT=$APEXTICK_RABBITMQ_PORT"
    "RABBITMQ_DIST_PORT=$APEXTICK_RABBITMQ_DIST_PORT"
    # CLI tools' own distribution ports: upstream default is a fixed 35672-35682.
    "RABBITMQ_CTL_DIST_PORT_MIN=$((APEXTICK_RABBITMQ_DIST_PORT + 10000))"
    "RABBITMQ_CTL_DIST_PORT_MAX=$((APEXTICK_RABBITMQ_DIST_PORT + 10010))"
    "RABBITMQ_MNESIA_BASE=$RMQ_HOME/mnesia"
    "RABBITMQ_LOG_BASE=$RMQ_LOGDIR"
    "RABBITMQ_PID_FILE=$RMQ_PIDFILE"
    "RABBITMQ_CONFIG_FILE=$RMQ_HOME/rabbitmq.conf"
    "RABBITMQ_ADVANCED_CONFIG_FILE=$RMQ_HOME/advanced.config"
    "RABBITMQ_ENABLED_PLUGINS_FILE=$RMQ_HOME/enabled_plugins"
    # A file we never write, so /etc/rabbitmq/rabbitmq-env.conf is skipped.
    "RABBITMQ_CONF_ENV_FILE=$RMQ_HOME/rabbitmq-env.conf"
    # The distribution listener binds all interfaces unless told otherwise.
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
    "ERL_EPMD_PORT=$APEXTICK_EPMD_PORT"
    "ERL_EPMD_ADDRESS=$APEXTICK_HOST"
    "ERL_CRASH_DUMP=$RMQ_LOGDIR/erl_crash.dump"
  )
}

# rmq_cli TOOL ARGS...: rabbitmqctl / rabbitmq-diagnostics against our node.
rmq_cli() {
  local tool=$1 sbin
  shift
  sbin="$(rmq_sbin)"
  rmq_env
  (export "${RMQ_ENV[@]}" && cd "$RMQ_HOME" && exec "$sbin/$tool" -n "$RMQ_NODE" "$@")
}

rmq_answering() {
  rmq_cli rabbitmq-diagnostics -q ping >/dev/null 2>&1
}

# rmq_probe LAUNCHER_PID: 0 once booted (our beam wrote its pid file and
# itself listens on the AMQP port: listeners start last in the boot; a bare
# port check could see another broker), 255 if the launcher died.
rmq_probe() {
  proc_alive "$1" || return 255
  pid_alive "$RMQ_PIDFILE" beam.smp && pid_listens "$(pid_of "$RMQ_PIDFILE")" "$APEXTICK_RABBITMQ_PORT"
}

# rmq_cookie: the node and CLI authenticate with this shared secret. Erlang
# insists that only the owner can read it.
rmq_cookie() {
  local cookie="$RMQ_HOME/.erlang.cookie"
  [[ -s $cookie ]] && return 0
  (
    umask 077
    random_secret | tr 'a-f' 'A-F' | tr -d '\n' >"$cookie"
  )
  chmod 400 "$cookie"
}

# rmq_password_hash PASSWORD: RabbitMQ's rabbit_password_hashing_sha256
# format, base64(salt ++ sha256(salt ++ password)) with a 4-byte salt, so the
# user can be declared in a definitions file without plaintext.
rmq_password_hash() {
  local salt
  salt="$(openssl rand -hex 4 | sed 's/../\\x&/g')"
  {
    printf '%b' "$salt"
    { printf '%b' "$salt"; printf '%s' "$1"; } | openssl dgst -sha256 -binary
  } | base64 -w0
}

# rmq_write_conf: config + definitions, rewritten every start. The node
# imports the definitions at boot (every boot), which creates or updates the
# vhost, the apextick user (administrator) and its permissions: idempotent,
# and ~5 s faster than a rabbitmqctl call per item.
rmq_write_conf() {
  (
    umask 077
    cat >"$RMQ_HOME/definitions.json" <<EOF
{
  "vhosts": [{"name": "/"}],
  "users": [{
    "name": "apextick",
    "password_hash": "$(rmq_password_hash "$APEXTICK_RABBITMQ_PASSWORD")",
    "hashing_algorithm": "rabbit_password_hashing_sha256",
    "tags": ["administrator"]
  }],
  "permissions": [
    {"user": "apextick", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}
  ]
}
EOF
    cat >"$RMQ_HOME/rabbitmq.conf" <<EOF
# Generated by scripts/services.sh on every start: edit the script, not this.
load_definitions = $RMQ_HOME/definitions.json
# With definitions to load RabbitMQ seeds no default guest user; should one
# ever exist, it may only log in from loopback (the default, stated here).
loopback_users.guest = true
log.file.level = info
log.console = false
EOF
  )
  # No plugins (management etc.): faster boot, nothing else listening.
  [[ -e $RMQ_HOME/enabled_plugins ]] || echo '[].' >"$RMQ_HOME/enabled_plugins"
}

# epmd_start: our own epmd on APEXTICK_EPMD_PORT, loopback only. Started by
# us (not auto-started by erl, which daemonizes it out of reach) so we have
# its pid and can stop it with the node.
epmd_start() {
  if pid_alive "$EPMD_PIDFILE" epmd; then
    return 0
  fi
  rm -f "$EPMD_PIDFILE"
  if port_open "$APEXTICK_EPMD_PORT"; then
    log "rabbitmq: an epmd we did not record already listens on $APEXTICK_EPMD_PORT; using it"
    return 0
  fi
  local epmd
  epmd="$(command -v epmd || compgen -G '/usr/lib/erlang/erts-*/bin/epmd' | head -n 1 || true)"
  [[ -n $epmd ]] || die "rabbitmq: epmd not found (Erlang missing?)"
  start_bg "$RMQ_LOGDIR/epmd.log" "$epmd" -port "$APEXTICK_EPMD_PORT" -address "$APEXTICK_HOST"
  echo "$BG_PID" >"$EPMD_PIDFILE"
  # Ask it properly (a bare TCP connect makes epmd log "partial packet").
  WAIT_TIMEOUT=10 wait_for "$epmd" -port "$APEXTICK_EPMD_PORT" -names ||
    die "rabbitmq: epmd did not come up on port $APEXTICK_EPMD_PORT"
}

rabbitmq_start() {
  if pid_alive "$RMQ_PIDFILE" beam.smp; then
    if WAIT_TIMEOUT=10 wait_for rmq_answering; then
      log "rabbitmq: already running (pid $(pid_of "$RMQ_PIDFILE"))"
      return 0
    fi
    die "rabbitmq: pid $(pid_of "$RMQ_PIDFILE") is running but not answering ping"
  fi
  rm -f "$RMQ_PIDFILE"
  local sbin t0=$SECONDS launcher
  sbin="$(rmq_sbin)"
  mkdir -p "$RMQ_HOME" "$RMQ_LOGDIR"
  rmq_cookie
  rmq_write_conf
  epmd_start
  # The upstream rabbitmq-server script stays in the foreground as a small
  # sh that runs erl and forwards signals; the node writes its own beam pid
  # into RABBITMQ_PID_FILE.
  rmq_env
  START_DIR="$RMQ_HOME" start_bg "$RMQ_LOGDIR/stdout.log" env "${RMQ_ENV[@]}" "$sbin/rabbitmq-server"
  launcher=$BG_PID
  if ! WAIT_TIMEOUT=$START_TIMEOUT wait_for rmq_probe "$launcher"; then
    show_log "$RMQ_LOGDIR/stdout.log"
    show_log "$RMQ_LOGDIR/$RMQ_NODE.log"
    kill -s TERM "$launcher" 2>/dev/null || true
    rabbitmq_stop
    die "rabbitmq: failed to start (port $APEXTICK_RABBITMQ_PORT or $APEXTICK_RABBITMQ_DIST_PORT taken?)"
  fi
  WAIT_TIMEOUT=30 wait_for rmq_answering || die "rabbitmq: booted but rabbitmq-diagnostics ping fails"
  log "rabbitmq: running (pid $(pid_of "$RMQ_PIDFILE"), node $RMQ_NODE, $APEXTICK_HOST:$APEXTICK_RABBITMQ_PORT, $((SECONDS - t0))s)"
}

rabbitmq_stop() {
  # SIGTERM: RabbitMQ shuts down cleanly (closes connections, syncs queues).
  stop_pidfile rabbitmq "$RMQ_PIDFILE" beam.smp TERM
  # epmd outlives the node; stop it only if it is the one we started.
  stop_pidfile epmd "$EPMD_PIDFILE" epmd TERM
}

rabbitmq_status() {
  service_status rabbitmq "$RMQ_PIDFILE" beam.smp rmq_answering "$APEXTICK_HOST:$APEXTICK_RABBITMQ_PORT node $RMQ_NODE"
}

# ============================================================ payment stand-ins
#
# stripe-mock (Stripe's own mock, pinned in install.sh) and the Onepay sandbox
# stand-in (devstack/onepay_sandbox.py). Both are stateless or in-memory, so
# they are simply started and stopped; the pid file records the server itself.

STRIPE_MOCK_PIDFILE="$RUN/stripe-mock.pid"
ONEPAY_PIDFILE="$RUN/onepay-sandbox.pid"
CHECKOUT_PIDFILE="$RUN/test-checkout.pid"

stripe_mock_answering() {
  port_open "$APEXTICK_STRIPE_MOCK_PORT"
}

onepay_answering() {
  port_open "$APEXTICK_ONEPAY_SANDBOX_PORT"
}

checkout_answering() {
  port_open "$APEXTICK_TEST_CHECKOUT_PORT"
}

# listen_probe PID PORT: 0 once PID itself listens on PORT, 255 if it died.
listen_probe() {
  proc_alive "$1" || return 255
  pid_listens "$1" "$2"
}

# standin_start NAME PIDFILE COMM PORT CMD...: start CMD unless our pid file
# names a live COMM process, and wait until it listens on PORT.
standin_start() {
  local name=$1 file=$2 comm=$3 port=$4
  shift 4
  if pid_alive "$file" "$comm"; then
    log "$name: already running (pid $(pid_of "$file"))"
    return 0
  fi
  rm -f "$file"
  start_bg "$LOG/$name.log" "$@"
  echo "$BG_PID" >"$file"
  if ! WAIT_TIMEOUT=$START_TIMEOUT wait_for listen_probe "$BG_PID" "$port"; then
    show_log "$LOG/$name.log"
    stop_pidfile "$name" "$file" "$comm" TERM
    die "$name: failed to start (port $port taken?)"
  fi
  log "$name: running (pid $BG_PID, $APEXTICK_HOST:$port)"
}

stripe_mock_start() {
  [[ -x $BIN/stripe-mock ]] || die "stripe-mock: $BIN/stripe-mock missing (run: scripts/install.sh go)"
  standin_start stripe-mock "$STRIPE_MOCK_PIDFILE" stripe-mock "$APEXTICK_STRIPE_MOCK_PORT" \
    "$BIN/stripe-mock" -http-addr "$APEXTICK_HOST:$APEXTICK_STRIPE_MOCK_PORT" \
    -https-addr "$APEXTICK_HOST:$((APEXTICK_STRIPE_MOCK_PORT + 1))"
}

stripe_mock_stop() {
  stop_pidfile stripe-mock "$STRIPE_MOCK_PIDFILE" stripe-mock TERM
}

stripe_mock_status() {
  service_status stripe-mock "$STRIPE_MOCK_PIDFILE" stripe-mock stripe_mock_answering \
    "$APEXTICK_HOST:$APEXTICK_STRIPE_MOCK_PORT"
}

onepay_start() {
  [[ -x $ROOT/.venv/bin/python ]] || die "onepay: $ROOT/.venv missing (run: scripts/install.sh)"
  START_DIR="$ROOT" standin_start onepay "$ONEPAY_PIDFILE" python "$APEXTICK_ONEPAY_SANDBOX_PORT" \
    "$ROOT/.venv/bin/python" -m devstack.onepay_sandbox
}

onepay_stop() {
  stop_pidfile onepay "$ONEPAY_PIDFILE" python TERM
}

onepay_status() {
  service_status onepay "$ONEPAY_PIDFILE" python onepay_answering "$APEXTICK_HOST:$APEXTICK_ONEPAY_SANDBOX_PORT"
}

# The test payment page (devstack/test_checkout.py): posts its signed webhooks to the local edge.
checkout_start() {
  [[ -x $ROOT/.venv/bin/python ]] || die "checkout: $ROOT/.venv missing (run: scripts/install.sh)"
  START_DIR="$ROOT" standin_start checkout "$CHECKOUT_PIDFILE" python "$APEXTICK_TEST_CHECKOUT_PORT" \
    "$ROOT/.venv/bin/python" -m devstack.test_checkout
}

checkout_stop() {
  stop_pidfile checkout "$CHECKOUT_PIDFILE" python TERM
}

checkout_status() {
  service_status checkout "$CHECKOUT_PIDFILE" python checkout_answering "$APEXTICK_HOST:$APEXTICK_TEST_CHECKOUT_PORT"
}

# ==================================================================== common

STATUS_RC=0

# service_status NAME PIDFILE COMM PROBE WHERE: one line per service.
service_status() {
  local name=$1 file=$2 comm=$3 probe=$4 where=$5 pid
  if pid_alive "$file" "$comm"; then
    pid="$(pid_of "$file")"
    if "$probe" >/dev/null 2>&1; then
      printf '%-11s running  pid %-7s answering      %s\n' "$name" "$pid" "$where"
    else
      printf '%-11s running  pid %-7s NOT answering  %s\n' "$name" "$pid" "$where"
      STATUS_RC=3
    fi
  else
    printf '%-11s stopped\n' "$name"
    STATUS_RC=3
  fi
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

# canonical NAME: accept a few aliases.
canonical() {
  case $1 in
    pg | postgres | postgresql) echo pg ;;
    redis) echo redis ;;
    rabbitmq | rabbit | amqp) echo rabbitmq ;;
    stripe-mock | stripe_mock | stripe) echo stripe_mock ;;
    onepay | onepay-sandbox) echo onepay ;;
    checkout | test-checkout) echo checkout ;;
    *) die "unknown service '$1' (expected: pg redis rabbitmq stripe-mock onepay checkout)" ;;
  esac
}

main() {
  local action=${1-}
  [[ -n $action ]] || { usage >&2; exit 2; }
  shift
  case $action in
    -h | --help | help) usage; return 0 ;;
    rabbitmqctl) rmq_cli rabbitmqctl "$@"; return ;;
    start | stop | restart | status | crash) ;;
    *) usage >&2; exit 2 ;;
  esac

  local -a services=()
  local s
  for s in "$@"; do services+=("$(canonical "$s")"); done
  ((${#services[@]})) || services=("${ALL_SERVICES[@]}")

  mkdir -p "$RUN" "$LOG"
  # One start/stop at a time per checkout (e.g. a dev shell and a test run).
  exec {LOCK_FD}>"$VAR/.services.lock"
  flock "$LOCK_FD"

  case $action in
    start) for s in "${services[@]}"; do "${s}_start"; done ;;
    stop) for s in "${services[@]}"; do "${s}_stop"; done ;;
    restart)
      for s in "${services[@]}"; do "${s}_stop"; done
      for s in "${services[@]}"; do "${s}_start"; done
      ;;
    crash)
      for s in "${services[@]}"; do
        declare -F "${s}_crash" >/dev/null || die "$s: no crash mode (only pg has one)"
        "${s}_crash"
        "${s}_start"
      done
      ;;
    status)
      for s in "${services[@]}"; do "${s}_status"; done
      return "$STATUS_RC"
      ;;
  esac
}

main "$@"
