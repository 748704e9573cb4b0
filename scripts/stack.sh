#!/usr/bin/env bash
# The whole local platform in one command:
#
#   scripts/stack.sh up       install what is missing, start PostgreSQL, Redis, RabbitMQ, the mail
#                             catcher, Keycloak, the booking server, seat-map server, worker and relay, the notification
#                             server and consumer, the edge and Prometheus; migrate; seed the demo event
#   scripts/stack.sh down     stop exactly the processes `up` started (by pid), services included
#   scripts/stack.sh status   what is running
#
# Re-running `up` is safe: running processes are left alone and the seed replays by request_id.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY_BIN="$ROOT/.venv/bin"
export APEXTICK_OIDC_ISSUER="${APEXTICK_OIDC_ISSUER:-http://localhost:$APEXTICK_IDENTITY_PORT/realms/apextick}"

# app_start NAME PORT CMD...: start CMD in the background unless our pid file says it runs, record
# its pid, and wait until it accepts connections on PORT ("-": a worker without a port; it must
# still be alive after a moment).
app_start() {
  local name=$1 port=$2 pidfile="$RUN/$1.pid"
  shift 2
  mkdir -p "$RUN" "$LOG"
  if pid_alive "$pidfile"; then
    log "$name already running (pid $(pid_of "$pidfile"))"
    return 0
  fi
  if [[ $port != - ]] && port_open "$port"; then
    die "$name: port $port is taken by a process we did not start"
  fi
  (cd "$ROOT" && exec setsid "$@") </dev/null >>"$LOG/$name.log" 2>&1 &
  echo $! >"$pidfile"
  if [[ $port == - ]]; then
    sleep 1
    pid_alive "$pidfile" || die "$name exited at once; see $LOG/$name.log"
    log "$name started (pid $(pid_of "$pidfile"))"
    return 0
  fi
  if ! WAIT_TIMEOUT=30 wait_for port_open "$port"; then
    tail -n 20 "$LOG/$name.log" >&2 || true
    die "$name did not start; see $LOG/$name.log"
  fi
  log "$name started (pid $(pid_of "$pidfile"), port $port)"
}

# app_stop NAME: TERM the recorded pid (graceful shutdown drains calls), wait, KILL as a last resort.
app_stop() {
  local name=$1 pidfile="$RUN/$1.pid" pid
  if ! pid_alive "$pidfile"; then
    rm -f "$pidfile"
    return 0
  fi
  pid=$(pid_of "$pidfile")
  kill -TERM "$pid"
  if ! WAIT_TIMEOUT=20 wait_for bash -c "! kill -0 $pid 2>/dev/null"; then
    log "$name did not stop in time; killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "$name stopped"
}

# build_web: the web app's production build, again only when its sources changed since the last one.
build_web() {
  local web=$ROOT/clients/web
  if [[ -f $web/dist/index.html ]] &&
    [[ -z $(find "$web/src" "$web/index.html" "$web/package-lock.json" "$web/vite.config.ts" -newer "$web/dist/index.html" -print -quit) ]]; then
    return 0
  fi
  log "web: building clients/web"
  (cd "$web" && npm run --silent build >"$LOG/web-build.log" 2>&1) || die "web: build failed (var/log/web-build.log)"
  log "web: $(grep 'initial JavaScript' "$LOG/web-build.log")"
}

up() {
  "$ROOT/scripts/install.sh"
  "$ROOT/scripts/services.sh" start
  "$PY_BIN/apextick-booking" migrate 2>>"$LOG/migrate.log"
  "$PY_BIN/apextick-notification" migrate 2>>"$LOG/migrate.log"
  # Before Keycloak, which sends its verification and reset emails to the same catcher.
  app_start mail "$APEXTICK_SMTP_PORT" "$PY_BIN/apextick-dev" mail-catcher
  "$ROOT/scripts/keycloak.sh" start
  # Each process serves its own Prometheus /metrics (histograms add up across processes in PromQL).
  APEXTICK_METRICS_PORT="${APEXTICK_BOOKING_METRICS_PORT:-9470}" \
    app_start booking "$APEXTICK_BOOKING_PORT" "$PY_BIN/apextick-booking" serve
  # The live seat map in its own process; the edge sends the map's watchers there.
  export APEXTICK_SEATMAP_PORT="${APEXTICK_SEATMAP_PORT:-50053}"
  APEXTICK_METRICS_PORT="${APEXTICK_SEATMAP_METRICS_PORT:-9471}" \
    app_start seatmap "$APEXTICK_SEATMAP_PORT" "$PY_BIN/apextick-booking" seatmap
  APEXTICK_METRICS_PORT="${APEXTICK_WORKER_METRICS_PORT:-9473}" \
    app_start worker - "$PY_BIN/apextick-booking" worker
  APEXTICK_RELAY_METRICS_PORT="${APEXTICK_RELAY_METRICS_PORT:-9464}" \
    app_start relay - "$PY_BIN/apextick-booking" relay
  APEXTICK_METRICS_PORT="${APEXTICK_NOTIFICATION_METRICS_PORT:-9472}" \
    app_start notification "$APEXTICK_NOTIFICATION_PORT" "$PY_BIN/apextick-notification" serve
  APEXTICK_METRICS_PORT="${APEXTICK_CONSUMER_METRICS_PORT:-9474}" \
    app_start notification-consumer - "$PY_BIN/apextick-notification" consume
  build_web
  app_start web "$APEXTICK_WEB_PORT" "$PY_BIN/apextick-dev" web
  "$PY_BIN/python" -m edge render "$VAR/edge" >/dev/null
  app_start edge "${APEXTICK_EDGE_REST_PORT:-8080}" "$PY_BIN/envoy" -c "$VAR/edge/envoy.json" --disable-hot-restart \
    -l warning
  # Prometheus scrapes every process above and Envoy, with the drop's rules (k8s/monitoring/).
  "$PY_BIN/python" -m devstack.prometheus "$VAR/prometheus" >/dev/null
  app_start prometheus "$APEXTICK_PROMETHEUS_PORT" /usr/bin/prometheus \
    --config.file="$VAR/prometheus/prometheus.yml" --storage.tsdb.path="$VAR/prometheus/data" \
    --web.listen-address="127.0.0.1:$APEXTICK_PROMETHEUS_PORT" --log.level=warn
  local demo
  demo=$("$PY_BIN/apextick-dev" seed --token "$("$ROOT/scripts/keycloak.sh" token organizer)" \
    --gate-token "$("$ROOT/scripts/keycloak.sh" token gate)")
  cat <<EOT

ApexTick is up.
  web app          http://localhost:${APEXTICK_EDGE_REST_PORT:-8080}/   (sign in as demo-customer, or sign up)
  test payment     http://localhost:$APEXTICK_TEST_CHECKOUT_PORT/pay   (stands in for Stripe's page: checkout sends you there)
  booking gRPC     127.0.0.1:$APEXTICK_BOOKING_PORT   (var/bin/grpcurl -plaintext localhost:$APEXTICK_BOOKING_PORT list)
  seat-map gRPC    127.0.0.1:$APEXTICK_SEATMAP_PORT   (WatchSeatMap streams, apart from the claims)
  Prometheus       http://localhost:$APEXTICK_PROMETHEUS_PORT/targets   (every process's /metrics and Envoy's;
                   the drop's rules and alerts at /rules and /alerts; queries in the README)
  booking worker   hold expiry: Redis expiry listener and PostgreSQL sweeper
  outbox relay     domain events to RabbitMQ (exchange apextick.events); backlog and lag at
                   http://127.0.0.1:${APEXTICK_RELAY_METRICS_PORT:-9464}/metrics
  notification     127.0.0.1:$APEXTICK_NOTIFICATION_PORT gRPC (ticket PDFs, deliveries, resends) and its
                   bus consumer (queue notification.order_events): QR PDF tickets in var/tickets/
  mail inbox       http://localhost:$APEXTICK_MAIL_HTTP_PORT/   (sign-up verification and password resets land here)
  mail catcher     SMTP 127.0.0.1:$APEXTICK_SMTP_PORT; every email is also a file in var/mail/ (.eml), JSON at
                   http://127.0.0.1:$APEXTICK_MAIL_HTTP_PORT/messages
  REST edge        http://127.0.0.1:${APEXTICK_EDGE_REST_PORT:-8080}/v1/events   (Envoy; native gRPC on :${APEXTICK_EDGE_GRPC_PORT:-8081})
  Keycloak         $APEXTICK_OIDC_ISSUER   (admin console: http://localhost:$APEXTICK_IDENTITY_PORT/admin)
  PostgreSQL       127.0.0.1:$APEXTICK_PG_PORT  Redis 127.0.0.1:$APEXTICK_REDIS_PORT  RabbitMQ 127.0.0.1:$APEXTICK_RABBITMQ_PORT
  $demo
  tokens           scripts/keycloak.sh token organizer   (or customer, admin; demo passwords in var/secrets.env)
  logs             var/log/        stop with: make down
EOT
}

down() {
  app_stop prometheus
  app_stop edge
  app_stop web
  app_stop notification-consumer
  app_stop notification
  app_stop relay
  app_stop worker
  app_stop seatmap
  app_stop booking
  "$ROOT/scripts/keycloak.sh" stop
  app_stop mail
  "$ROOT/scripts/services.sh" stop
}

status() {
  local name
  "$ROOT/scripts/keycloak.sh" status || true
  for name in booking seatmap worker relay notification notification-consumer mail web edge prometheus; do
    if pid_alive "$RUN/$name.pid"; then echo "$name: running (pid $(pid_of "$RUN/$name.pid"))"; else echo "$name: stopped"; fi
  done
  "$ROOT/scripts/services.sh" status || true
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
