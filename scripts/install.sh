#!/usr/bin/env bash
# Install what the local stack and the tests need; idempotent and quick (~1 s)
# when everything is already there.
#
#   scripts/install.sh [apt|go|python|web|k8s ...]  (default: the first four, in that order)
#
#   apt     Debian packages: PostgreSQL, Redis, RabbitMQ, h2load, openssl,
#           curl, Node.js and npm, Chromium (+ python3-venv, golang-go when
#           missing). Only missing ones.
#   go      grpcurl, ghz, stripe-mock, kustomize into var/bin at pinned versions.
#   python  uv (pinned) in a bootstrap venv var/tools, then `uv sync --frozen`
#           into .venv from pyproject.toml + uv.lock.
#   web     `npm ci` in clients/web from its committed package-lock.json (again
#           only when the lock changed since the last install).
#   k8s     kube-apiserver and etcd built into var/bin from k8s/tools/apiserver (make
#           check's server-side dry-run; only when that module changed).
#
# Python runs last so that a checkout without pyproject.toml/uv.lock yet still
# gets the servers and Go tools before the clear error about the missing file.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UV_VERSION=0.13.9
GRPCURL_VERSION=v1.9.4
GHZ_VERSION=v0.93.0
STRIPE_MOCK_VERSION=v0.203.0 # what @latest resolved to when pinned
OPENAPI_VERSION=v0.7.1        # gnostic's protoc-gen-openapi: OpenAPI 3 from google.api.http
KUSTOMIZE_VERSION=v5.8.0      # renders k8s/ in make check (v5.8.0 builds with Go 1.26)

# Root needs no sudo (CI and these machines run as root).
SUDO=()
((EUID == 0)) || SUDO=(sudo)

# ------------------------------------------------------------------ apt

# missing_packages: print the Debian package for each missing tool. Checks
# files and PATH only (no dpkg/apt calls) to keep the no-op run fast.
missing_packages() {
  compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || echo postgresql
  command -v psql >/dev/null || echo postgresql-client
  command -v redis-server >/dev/null || echo redis-server
  command -v redis-cli >/dev/null || echo redis-tools
  # services.sh calls the upstream scripts here directly (see rmq_* there).
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || echo rabbitmq-server
  command -v h2load >/dev/null || echo nghttp2-client
  command -v openssl >/dev/null || echo openssl
  command -v curl >/dev/null || echo curl
  command -v python3 >/dev/null || echo python3
  # Debian splits venv/ensurepip out of python3; `python3 -m venv` then fails.
  # Only relevant for Debian's own python3 (a pyenv or other python has it).
  if [[ $(command -v python3 || true) == /usr/bin/python3 ]] &&
    ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    echo python3-venv
  fi
  go_cmd >/dev/null || echo golang-go
  # Keycloak: fetched from Maven Central with mvn, unpacked with unzip, run on a JDK 17+ (Temurin 25
  # where the machine has it, otherwise Debian's OpenJDK 17).
  command -v mvn >/dev/null || echo maven
  command -v unzip >/dev/null || echo unzip
  compgen -G '/usr/lib/jvm/*/bin/java' >/dev/null || echo openjdk-17-jdk-headless
  # The web app is built with the machine's Node.js and npm.
  command -v node >/dev/null || echo nodejs
  command -v npm >/dev/null || echo npm
  # The browser tests drive Debian's Chromium (Playwright cannot download its own here).
  command -v chromium >/dev/null || echo chromium
  # Prometheus scrapes the local stack (make up) and its test; promtool checks the rules (make check).
  command -v prometheus >/dev/null || echo prometheus
}

# apt_install PKG...: one `apt-get update` (a fresh machine has stale or no
# lists), then a non-interactive install.
apt_install() {
  local policy=/usr/sbin/policy-rc.d created_policy=0
  log "apt: installing $*"
  # Debian's maintainer scripts start each server on install (postgresql's
  # 15/main cluster on 5432, redis on 6379, rabbitmq + epmd on 5672/4369):
  # those would take our ports. policy-rc.d exit 101 forbids that; Docker-style
  # images ship one already, otherwise add it for the duration of the install.
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, scripts/install.sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    created_policy=1
  fi
  local rc=0
  {
    "${SUDO[@]}" apt-get update -q &&
      "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
  } || rc=$?
  ((created_policy)) && "${SUDO[@]}" rm -f "$policy"
  ((rc == 0)) || die "apt-get install $* failed (exit $rc)"
}

install_apt() {
  local -a pkgs
  mapfile -t pkgs < <(missing_packages)
  if ((${#pkgs[@]} == 0)); then
    log "apt: all packages present"
    return 0
  fi
  apt_install "${pkgs[@]}"
}

# ------------------------------------------------------------------- go

# go_cmd: print the go binary: PATH first, then the tarball location that is
# usually not on a non-login PATH.
go_cmd() {
  if command -v go 2>/dev/null; then return 0; fi
  if [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go; return 0; fi
  return 1
}

# installed_go_version BIN: the module version a Go binary was built from
# (reads the build info embedded in the binary; no network).
installed_go_version() {
  local go=$1 bin=$2
  [[ -x $bin ]] || return 0
  "$go" version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

# go_tool NAME PACKAGE VERSION: install PACKAGE@VERSION into $BIN unless the
# binary there was already built from that version (so a pin bump reinstalls).
go_tool() {
  local go=$1 name=$2 pkg=$3 version=$4 have
  have="$(installed_go_version "$go" "$BIN/$name")"
  if [[ $have == "$version" ]]; then
    return 0
  fi
  log "go: installing $pkg@$version${have:+ (had $have)}"
  GOBIN="$BIN" "$go" install "$pkg@$version"
}

install_go() {
  local go
  go="$(go_cmd)" || die "no Go toolchain (run: scripts/install.sh apt)"
  mkdir -p "$BIN"
  go_tool "$go" grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION"
  go_tool "$go" ghz github.com/bojand/ghz/cmd/ghz "$GHZ_VERSION"
  go_tool "$go" stripe-mock github.com/stripe/stripe-mock "$STRIPE_MOCK_VERSION"
  go_tool "$go" protoc-gen-openapi github.com/google/gnostic/cmd/protoc-gen-openapi "$OPENAPI_VERSION"
  go_tool "$go" kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
  # The project's own flash-sale load generator (benchmarks/loadgen, its versions pinned in go.sum);
  # go build is a quick no-op when nothing changed.
  (cd "$ROOT/benchmarks/loadgen" && "$go" build -o "$BIN/loadgen" .)
  log "go: grpcurl $GRPCURL_VERSION, ghz $GHZ_VERSION, stripe-mock $STRIPE_MOCK_VERSION," \
    "protoc-gen-openapi $OPENAPI_VERSION, kustomize $KUSTOMIZE_VERSION in $BIN"
}

# --------------------------------------------------------------- python

TOOLS="$VAR/tools"

# ensure_uv: a throwaway venv that only holds the pinned uv. Keeps uv's
# version in the repo (not whatever a machine has) without touching the
# system or user site-packages.
ensure_uv() {
  if ! "$TOOLS/bin/python" -c '' 2>/dev/null; then
    # Missing, or broken because the python it was made from went away.
    log "python: creating bootstrap venv $TOOLS"
    rm -rf "$TOOLS"
    python3 -m venv "$TOOLS" ||
      die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
  fi
  if [[ $("$TOOLS/bin/uv" --version 2>/dev/null || true) != "uv $UV_VERSION"* ]]; then
    log "python: installing uv==$UV_VERSION"
    "$TOOLS/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
}

install_python() {
  [[ -f $ROOT/pyproject.toml ]] ||
    die "python: $ROOT/pyproject.toml does not exist: the project's Python" \
      "packaging is not in this checkout yet, so there is no .venv to sync"
  ensure_uv
  [[ -f $ROOT/uv.lock ]] ||
    die "python: $ROOT/uv.lock does not exist: create it with" \
      "'$TOOLS/bin/uv lock --python python3' and commit it"
  # --frozen: install exactly uv.lock, never re-resolve (CI must not drift).
  # --python python3 + UV_PYTHON_DOWNLOADS=never: use the machine's python;
  # uv would otherwise try to download a managed CPython, which cannot be
  # fetched here. uv sync is a ~0.1 s no-op when .venv already matches.
  (
    cd "$ROOT"
    UV_PYTHON_DOWNLOADS=never "$TOOLS/bin/uv" sync --frozen --python python3 --quiet
  )
  log "python: .venv in sync with uv.lock (uv $UV_VERSION)"
}

# ------------------------------------------------------------------ web

# install_web: node_modules exactly as package-lock.json says; the lock's hash, recorded after a
# successful install, makes the no-op run instant.
install_web() {
  local web=$ROOT/clients/web stamp=$ROOT/clients/web/node_modules/.apextick-lock
  [[ -f $web/package-lock.json ]] || die "web: $web/package-lock.json is missing"
  local want
  want=$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    log "web: node_modules in sync with package-lock.json"
    return 0
  fi
  log "web: npm ci (clients/web)"
  (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) || die "web: npm ci failed"
  printf '%s' "$want" >"$stamp"
}

# ------------------------------------------------------------------ k8s

# install_k8s: the Kubernetes API server that make check dry-runs the manifests against, and the etcd
# under it, built from k8s/tools/apiserver (a module pinning k8s.io/kubernetes, which cannot be
# `go install`ed; Debian's etcd 3.4 is too old for it). About four minutes the first time; rebuilt
# only when that module's go.sum changes.
install_k8s() {
  local go module=$ROOT/k8s/tools/apiserver stamp=$BIN/kube-apiserver.sum want
  go="$(go_cmd)" || die "no Go toolchain (run: scripts/install.sh apt)"
  want=$(sha256sum "$module/go.sum" | cut -d' ' -f1)
  if [[ -x $BIN/kube-apiserver && -x $BIN/etcd && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    log "k8s: kube-apiserver in sync with k8s/tools/apiserver"
    return 0
  fi
  log "k8s: building kube-apiserver (k8s/tools/apiserver; a few minutes the first time)"
  mkdir -p "$BIN"
  (cd "$module" && "$go" build -o "$BIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver &&
    "$go" build -o "$BIN/etcd" ./etcd) || die "k8s: kube-apiserver or etcd did not build"
  printf '%s' "$want" >"$stamp"
}

# ------------------------------------------------------------------ main

main() {
  local -a steps=("$@")
  ((${#steps[@]})) || steps=(apt go python web)
  local step
  for step in "${steps[@]}"; do
    case $step in
      apt | go | python | web | k8s) "install_$step" ;;
      -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; return 0 ;;
      *) die "unknown step '$step' (expected: apt go python web k8s)" ;;
    esac
  done
}

main "$@"
