#!/usr/bin/env bash
# Keycloak for the local stack, with the apextick realm imported from code:
#
#   scripts/keycloak.sh start        download (once), unpack (once), start, wait for the realm
#   scripts/keycloak.sh stop         TERM exactly the recorded java pid, wait, KILL as a last resort
#   scripts/keycloak.sh status       exit 0 if running and the realm answers, 3 otherwise
#   scripts/keycloak.sh token USER   print a password-grant access token of demo user USER
#                                    (customer|organizer|admin|gate, or demo-*) from the apextick-cli client
#   scripts/keycloak.sh env          print `export` lines for clients and tests (URL, issuer, secrets)
#   scripts/keycloak.sh reset        stop and delete the database, so the next start imports the
#                                    realm afresh (an import skips a realm that already exists, so
#                                    edits to identity/keycloak/realm-apextick.json need this)
#
# Layout (all under var/, git-ignored): var/keycloak/dist the unpacked distribution (reused while
# its version matches KC_VERSION), var/keycloak/data the H2 database (kept apart from dist so a
# version bump keeps the data), var/log/keycloak.log, var/run/keycloak.pid (the java pid).
#
# Reads: APEXTICK_IDENTITY_PORT (HTTP, default 8180), APEXTICK_KEYCLOAK_MANAGEMENT_PORT (health,
# default 9000), APEXTICK_KEYCLOAK_JAVA_HOME (default Temurin 25), APEXTICK_SMTP_HOST/PORT (default
# 127.0.0.1:1025, a local SMTP catcher), GOOGLE_CLIENT_ID/SECRET (dummies unless set: the Google
# broker imports fine without real ones), APEXTICK_KEYCLOAK_ADMIN_USER (default admin),
# JAVA_OPTS_APPEND (passed on to kc.sh), HOME (the Maven repository is $HOME/.m2/repository).
# Generates into var/secrets.env (like lib.sh does for the servers' passwords):
# APEXTICK_DEMO_PASSWORD, APEXTICK_KEYCLOAK_ADMIN_PASSWORD, APEXTICK_SERVICE_CLIENT_SECRET.
# The realm file holds ${VAR} placeholders for these, which Keycloak resolves from its environment
# at import time. Needs curl, unzip, and mvn for the first download.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Pinned: listed as served by Maven Central (26.7.4 is not); run and tested here with Temurin 25.
KC_VERSION=26.7.3
KC_REALM=apextick
KC_REALM_FILE="$ROOT/identity/keycloak/realm-$KC_REALM.json"
KC_HOME="$VAR/keycloak"
KC_DIST="$KC_HOME/dist"
KC_DATA="$KC_HOME/data"
KC_PIDFILE="$RUN/keycloak.pid"
KC_LOG="$LOG/keycloak.log"
M2_REPO="${HOME:-/root}/.m2/repository"
KC_ZIP="$M2_REPO/org/keycloak/keycloak-quarkus-dist/$KC_VERSION/keycloak-quarkus-dist-$KC_VERSION.zip"
START_TIMEOUT=180 # seconds; a first start (augmentation + schema + import) takes ~40-60 s on 2 cores
STOP_TIMEOUT=60
LOCK_FD=9 # placeholder so `{LOCK_FD}>&-` parses before main takes the lock (see services.sh)

export APEXTICK_KEYCLOAK_MANAGEMENT_PORT="${APEXTICK_KEYCLOAK_MANAGEMENT_PORT:-9000}"
export APEXTICK_KEYCLOAK_ADMIN_USER="${APEXTICK_KEYCLOAK_ADMIN_USER:-admin}"
# The issuer must never depend on the host a client used: the hostname is pinned to this URL.
export APEXTICK_KEYCLOAK_URL="http://localhost:$APEXTICK_IDENTITY_PORT"
export APEXTICK_OIDC_ISSUER="$APEXTICK_KEYCLOAK_URL/realms/$KC_REALM"
# Placeholders of the realm file that are not secrets.
export APEXTICK_SMTP_HOST="${APEXTICK_SMTP_HOST:-$APEXTICK_HOST}"
export APEXTICK_SMTP_PORT="${APEXTICK_SMTP_PORT:-1025}"
export GOOGLE_CLIENT_ID="${GOOGLE_CLIENT_ID:-google-client-id-not-configured}"
export GOOGLE_CLIENT_SECRET="${GOOGLE_CLIENT_SECRET:-google-client-secret-not-configured}"

# Our secrets join lib.sh's list, and its ensure_secrets appends whichever secrets.env lacks
# (mode 600, never overwriting) and exports them all: one mechanism, one file.
APEXTICK_SECRET_KEYS+=(APEXTICK_DEMO_PASSWORD APEXTICK_KEYCLOAK_ADMIN_PASSWORD)
ensure_secrets

# ---------------------------------------------------------------- helpers

# kc_java_home: Temurin 25 (Keycloak's recommendation) where the machine has it, else the newest other
# JDK 17+ under /usr/lib/jvm (Debian's openjdk-17, which scripts/install.sh adds on a bare machine).
kc_java_home() {
  local home="${APEXTICK_KEYCLOAK_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}" candidate
  if [[ ! -x $home/bin/java ]]; then
    home=""
    for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -V -r); do
      if [[ -x ${candidate}bin/java ]] && [[ $(basename "$candidate") =~ (17|2[1-9]) ]]; then
        home=${candidate%/}
        break
      fi
    done
  fi
  [[ -n $home ]] || die "keycloak: no JDK 17+ (set APEXTICK_KEYCLOAK_JAVA_HOME, or run scripts/install.sh apt)"
  printf '%s' "$home"
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "keycloak: '$1' is missing (apt-get install $2)"
}

# kc_fetch: the distribution zip into the local Maven repository, once.
kc_fetch() {
  [[ -s $KC_ZIP ]] && return 0
  need mvn maven
  local t0=$SECONDS
  log "keycloak: downloading org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip (~170 MB)"
  # stdout only carries -q's stray colour codes; errors go to stderr.
  mvn -q -B dependency:get -Dmaven.repo.local="$M2_REPO" \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" -Dtransitive=false >/dev/null ||
    die "keycloak: mvn could not fetch keycloak-quarkus-dist $KC_VERSION"
  [[ -s $KC_ZIP ]] || die "keycloak: mvn finished but $KC_ZIP is missing"
  log "keycloak: downloaded in $((SECONDS - t0))s"
}

# kc_unpack: unzip into var/keycloak/dist unless that already is KC_VERSION. Unpacked beside it
# and renamed, so an interrupted unzip never leaves a half distribution that looks usable.
kc_unpack() {
  if grep -qsx "Keycloak - Version $KC_VERSION" "$KC_DIST/version.txt"; then
    return 0
  fi
  need unzip unzip
  local tmp="$KC_HOME/.unpack"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  unzip -q "$KC_ZIP" -d "$tmp" || die "keycloak: cannot unzip $KC_ZIP (corrupt? delete it to re-download)"
  [[ -d $tmp/keycloak-$KC_VERSION ]] || die "keycloak: unexpected layout in $KC_ZIP"
  rm -rf "$KC_DIST" # another version's: its data lives in KC_DATA, not here
  mv "$tmp/keycloak-$KC_VERSION" "$KC_DIST"
  rm -rf "$tmp"
  log "keycloak: unpacked $KC_VERSION into $KC_DIST"
}

# kc_running: the recorded pid is ours. It is kc.sh while a start is in progress (kc.sh keeps java
# as a child, or execs into java after the first start's augmentation) and java once started.
kc_running() {
  pid_alive "$KC_PIDFILE" java || pid_alive "$KC_PIDFILE" kc.sh
}

# kc_answering: the realm's discovery document answers with the pinned issuer. Asked on
# 127.0.0.1 (where we listen), which also proves the issuer ignores the request's host.
kc_answering() {
  local doc
  doc="$(curl -fsS --max-time 5 "http://$APEXTICK_HOST:$APEXTICK_IDENTITY_PORT/realms/$KC_REALM/.well-known/openid-configuration")" ||
    return 1
  [[ $doc == *"\"issuer\":\"$APEXTICK_OIDC_ISSUER\""* ]]
}

# kc_probe LAUNCHER: for wait_for; 255 (give up now) once the launcher has died.
kc_probe() {
  proc_alive "$1" || return 255
  kc_answering
}

# kc_java_pid LAUNCHER: the JVM behind the kc.sh we launched: LAUNCHER itself if kc.sh exec'd
# java (it does after an augmentation), else its java child.
kc_java_pid() {
  local launcher=$1 stat line ppid pid
  if proc_alive "$launcher" java; then
    printf '%s' "$launcher"
    return 0
  fi
  for stat in /proc/[0-9]*/stat; do
    line="$(cat "$stat" 2>/dev/null)" || continue
    # Fields after the ")" that closes comm: state ppid ...
    read -r _ ppid _ <<<"${line##*) }"
    [[ $ppid == "$launcher" ]] || continue
    pid="${stat#/proc/}"
    pid="${pid%/stat}"
    if proc_alive "$pid" java; then
      printf '%s' "$pid"
      return 0
    fi
  done
  return 1
}

proc_gone() {
  ! proc_alive "$1"
}

# kc_kill PID: TERM (Keycloak shuts down gracefully in ~2 s), wait, KILL as a last resort.
kc_kill() {
  local pid=$1
  kill -s TERM "$pid" 2>/dev/null || true
  if ! WAIT_TIMEOUT=$STOP_TIMEOUT wait_for proc_gone "$pid"; then
    log "keycloak: pid $pid still running after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -s KILL "$pid" 2>/dev/null || true
    WAIT_TIMEOUT=10 wait_for proc_gone "$pid" || die "keycloak: pid $pid survived SIGKILL"
  fi
}

# ---------------------------------------------------------------- commands

kc_start() {
  if kc_running; then
    if WAIT_TIMEOUT=30 wait_for kc_answering; then
      log "keycloak: already running (pid $(pid_of "$KC_PIDFILE"), $APEXTICK_OIDC_ISSUER)"
      return 0
    fi
    die "keycloak: pid $(pid_of "$KC_PIDFILE") is running but $APEXTICK_OIDC_ISSUER does not answer"
  fi
  rm -f "$KC_PIDFILE"
  local port
  for port in "$APEXTICK_IDENTITY_PORT" "$APEXTICK_KEYCLOAK_MANAGEMENT_PORT"; do
    port_open "$port" && die "keycloak: port $port is taken by a process we did not start" \
      "(the dev identity provider? stop it, or set APEXTICK_IDENTITY_PORT / APEXTICK_KEYCLOAK_MANAGEMENT_PORT)"
  done
  need curl curl
  [[ -r $KC_REALM_FILE ]] || die "keycloak: realm file $KC_REALM_FILE is missing"
  local java_home
  java_home="$(kc_java_home)"
  kc_fetch
  kc_unpack
  # --import-realm reads the distribution's data/import; refreshed every start (it is skipped
  # for a realm that already exists, see `reset`).
  mkdir -p "$KC_DIST/data/import" "$KC_DATA" "$RUN" "$LOG"
  cp "$KC_REALM_FILE" "$KC_DIST/data/import/"

  # start-dev rather than build + start --optimized: measured here (2 cores), the dev mode's first
  # start, augmentation included, took ~40-50 s against 25 s `kc.sh build` + 20 s, and its restarts
  # (no augmentation while the build options stay the same) ~10 s against ~12 s. Dev mode brings
  # the dev-file H2 database, a local cache and no theme caching, all fine for a local stack.
  local args=(
    start-dev
    --http-host="$APEXTICK_HOST"
    --http-port="$APEXTICK_IDENTITY_PORT"
    --hostname="$APEXTICK_KEYCLOAK_URL"
    --http-management-port="$APEXTICK_KEYCLOAK_MANAGEMENT_PORT"
    --health-enabled=true
    --db-url="jdbc:h2:file:$KC_DATA/h2/keycloakdb;NON_KEYWORDS=VALUE"
    --import-realm
    --log-console-color=false
  )
  # A class-data-sharing archive of the JVM's own and classpath classes, written at a clean exit
  # and rewritten by the JVM whenever it no longer matches (new JDK or distribution): measured
  # here it cuts a restart from ~10 s to ~7 s. JDK 19+ only (AutoCreateSharedArchive). Not on a
  # distribution's first start: that one runs the augmentation in a JVM of its own, whose archive
  # would only mismatch the server's. CDS's own log lines stay out of keycloak.log.
  local cds=""
  if [[ -e $KC_DIST/.started ]] &&
    [[ $(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$java_home/release" 2>/dev/null) -ge 19 ]]; then
    cds="-XX:SharedArchiveFile=$KC_HOME/java-cds.jsa -XX:+AutoCreateSharedArchive -Xlog:cds*=off,aot*=off"
  fi
  local t0=$SECONDS launcher java_pid
  log "keycloak: starting $KC_VERSION on $APEXTICK_KEYCLOAK_URL (log $KC_LOG)"
  # Detached (setsid) with stdio in the log; the subshell execs setsid, which execs kc.sh in place,
  # so $! is kc.sh's pid. The bootstrap admin's password goes by environment, never argv (ps).
  (
    cd "$KC_DIST"
    export JAVA_HOME="$java_home"
    export JAVA_OPTS_APPEND="${JAVA_OPTS_APPEND:+$JAVA_OPTS_APPEND }$cds"
    export KC_BOOTSTRAP_ADMIN_USERNAME="$APEXTICK_KEYCLOAK_ADMIN_USER"
    export KC_BOOTSTRAP_ADMIN_PASSWORD="$APEXTICK_KEYCLOAK_ADMIN_PASSWORD"
    exec setsid "$KC_DIST/bin/kc.sh" "${args[@]}"
  ) </dev/null >>"$KC_LOG" 2>&1 {LOCK_FD}>&- &
  launcher=$!
  echo "$launcher" >"$KC_PIDFILE"
  if ! WAIT_TIMEOUT=$START_TIMEOUT wait_for kc_probe "$launcher"; then
    local why="did not answer within ${START_TIMEOUT}s"
    proc_alive "$launcher" || why="exited before answering"
    log "keycloak: last lines of $KC_LOG:"
    tail -n 30 "$KC_LOG" >&2 || true
    kc_stop
    die "keycloak: $APEXTICK_OIDC_ISSUER $why"
  fi
  java_pid="$(kc_java_pid "$launcher")" || die "keycloak: answering, but no java process under pid $launcher"
  echo "$java_pid" >"$KC_PIDFILE"
  touch "$KC_DIST/.started"
  log "keycloak: running (pid $java_pid, $APEXTICK_OIDC_ISSUER, $((SECONDS - t0))s)"
}

kc_stop() {
  local pid child
  if ! kc_running; then
    [[ -e $KC_PIDFILE ]] && log "keycloak: removing stale pid file $KC_PIDFILE"
    rm -f "$KC_PIDFILE"
    return 0
  fi
  pid="$(pid_of "$KC_PIDFILE")"
  # A start cut short leaves kc.sh recorded: stop its JVM first (kc.sh would forward the TERM too,
  # but only once it has learnt the JVM's pid), then kc.sh.
  if ! proc_alive "$pid" java && child="$(kc_java_pid "$pid")"; then
    log "keycloak: stopping java pid $child (launcher $pid)"
    kc_kill "$child"
  fi
  log "keycloak: stopping pid $pid"
  kc_kill "$pid"
  rm -f "$KC_PIDFILE"
}

kc_status() {
  local pid health
  if ! kc_running; then
    printf 'keycloak  stopped\n'
    return 3
  fi
  pid="$(pid_of "$KC_PIDFILE")"
  if kc_answering; then
    health="$(curl -fsS --max-time 5 "http://$APEXTICK_HOST:$APEXTICK_KEYCLOAK_MANAGEMENT_PORT/health/ready" 2>/dev/null || true)"
    [[ $health == *'"UP"'* ]] && health=ready || health='NOT ready'
    printf 'keycloak  running  pid %-7s answering (%s)  %s\n' "$pid" "$health" "$APEXTICK_OIDC_ISSUER"
    return 0
  fi
  printf 'keycloak  running  pid %-7s NOT answering  %s\n' "$pid" "$APEXTICK_OIDC_ISSUER"
  return 3
}

# kc_token USER: the access token on stdout, nothing else; Keycloak's error on stderr.
kc_token() {
  local user=${1-} response
  case $user in
    customer | organizer | admin | gate) user="demo-$user" ;;
    demo-customer | demo-organizer | demo-admin | demo-gate) ;;
    *) die "usage: scripts/keycloak.sh token customer|organizer|admin|gate" ;;
  esac
  need curl curl
  # The password reaches curl on stdin, not argv.
  response="$(printf '%s' "$APEXTICK_DEMO_PASSWORD" | curl -sS --max-time 10 \
    --data-urlencode grant_type=password --data-urlencode client_id=apextick-cli \
    --data-urlencode "username=$user" --data-urlencode password@- \
    "http://$APEXTICK_HOST:$APEXTICK_IDENTITY_PORT/realms/$KC_REALM/protocol/openid-connect/token")" ||
    die "keycloak: no answer from $APEXTICK_KEYCLOAK_URL (running? scripts/keycloak.sh start)"
  python3 -c 'import json, sys; print(json.loads(sys.argv[1])["access_token"])' "$response" 2>/dev/null ||
    die "keycloak: no token for $user: $response"
}

kc_env() {
  local key
  for key in APEXTICK_KEYCLOAK_URL APEXTICK_OIDC_ISSUER APEXTICK_DEMO_PASSWORD \
    APEXTICK_KEYCLOAK_ADMIN_USER APEXTICK_KEYCLOAK_ADMIN_PASSWORD APEXTICK_SERVICE_CLIENT_SECRET; do
    printf 'export %s=%q\n' "$key" "${!key}"
  done
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

main() {
  local action=${1-}
  case $action in
    -h | --help | help) usage; return 0 ;;
    token) kc_token "${2-}"; return ;;
    env) kc_env; return ;;
    status) kc_status; return ;;
    start | stop | reset) ;;
    *) usage >&2; exit 2 ;;
  esac
  mkdir -p "$RUN" "$LOG"
  # One start/stop at a time per checkout; Keycloak must not inherit the fd (see start).
  exec {LOCK_FD}>"$VAR/.keycloak.lock"
  flock "$LOCK_FD"
  case $action in
    start) kc_start ;;
    stop) kc_stop ;;
    reset)
      kc_stop
      rm -rf "$KC_DATA"
      log "keycloak: database deleted; the next start imports $KC_REALM_FILE"
      ;;
  esac
}

main "$@"
