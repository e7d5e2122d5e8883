#!/usr/bin/env bash
# Postgres for dev and CI, from Debian's `postgresql` package: a cluster owned by this project
# (its own data dir and port), bound to 127.0.0.1, with role + database `orderline`.
#
# Usage: scripts/infra/postgres.sh {install|start|stop|status|reset|url|psql}
#
#   install  apt-get install postgresql when its binaries are missing
#   start    install if needed, initdb once, start, create role/db, wait until ready (idempotent)
#   stop     fast shutdown; harmless when not running
#   status   exit 0 when accepting connections
#   reset    stop and delete the data dir
#   url      print the DATABASE_URL
#   psql     open psql on the orderline database
#
# Environment (all optional):
#   ORDERLINE_INFRA_DIR  state root (default: <repo>/.infra); data in $ORDERLINE_INFRA_DIR/postgres
#   PGPORT               port (default: 5432)
#   PG_MAJOR             Postgres major version (default: the newest under /usr/lib/postgresql, else 15)
# Durability is Postgres' default (fsync on, synchronous_commit on).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
ORDERLINE_INFRA_DIR="${ORDERLINE_INFRA_DIR:-$REPO_ROOT/.infra}"
PG_HOME="$ORDERLINE_INFRA_DIR/postgres"
PGPORT="${PGPORT:-5432}"
DB_NAME=orderline
DB_USER=orderline
DB_PASSWORD=orderline

log() { printf '[postgres.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

pg_bin() {
  local major="${PG_MAJOR:-$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)}"
  printf '/usr/lib/postgresql/%s/bin' "${major:-15}"
}

cmd_install() {
  if [ -x "$(pg_bin)/initdb" ]; then return 0; fi
  log "installing postgresql with apt"
  [ "$(id -u)" = 0 ] || die "postgresql is missing and installing it needs root"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  # Debian starts its own cluster on 5432: ours replaces it on this machine.
  if command -v pg_ctlcluster >/dev/null; then
    for cluster in $(ls /etc/postgresql/*/ -d 2>/dev/null); do
      pg_ctlcluster "$(basename "$cluster")" main stop 2>/dev/null || true
    done
  fi
}

# Postgres refuses to run as root: as root, run it as the `postgres` OS user.
if [ "$(id -u)" = 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

# The postgres user must be able to reach the data dir; a checkout under /root is not reachable,
# so fall back to a per-checkout folder under /var/lib/orderline.
resolve_home() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    mkdir -p "$PG_HOME"
    if ! runuser -u postgres -- test -x "$PG_HOME"; then
      PG_HOME="/var/lib/orderline/$(printf '%s' "$REPO_ROOT" | md5sum | cut -c1-12)/postgres"
      mkdir -p "$PG_HOME"
    fi
    chown postgres "$PG_HOME"
  else
    mkdir -p "$PG_HOME"
  fi
  PGDATA="$PG_HOME/data"
  PG_LOG="$PG_HOME/postgres.log"
}

psql_admin() { "$(pg_bin)/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

is_ready() { "$(pg_bin)/pg_isready" -h 127.0.0.1 -p "$PGPORT" -q; }

cmd_start() {
  cmd_install
  resolve_home
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    log "initialising a cluster in $PGDATA"
    as_pg "$(pg_bin)/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    log "already running"
  else
    is_ready && die "port $PGPORT is taken by another Postgres (set PGPORT)"
    as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k /tmp -c max_connections=200 -c shared_buffers=512MB" \
      start >/dev/null || { tail -n 30 "$PG_LOG" >&2; die "Postgres did not start"; }
  fi
  for _ in $(seq 1 60); do is_ready && break; sleep 0.5; done
  is_ready || die "Postgres is not accepting connections on $PGPORT"
  psql_admin -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'" | grep -q 1 ||
    psql_admin -d postgres -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD' CREATEDB"
  psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1 ||
    psql_admin -d postgres -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
  log "ready: $(cmd_url)  (log: $PG_LOG)"
}

cmd_stop() {
  resolve_home
  if [ -s "$PGDATA/PG_VERSION" ] && as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    as_pg "$(pg_bin)/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
    log "stopped"
  else
    log "not running"
  fi
}

cmd_status() { is_ready; }

cmd_reset() {
  cmd_stop
  rm -rf "$PGDATA"
  log "data deleted"
}

cmd_url() { printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$DB_USER" "$DB_PASSWORD" "$PGPORT" "$DB_NAME"; }

case "${1:-help}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  url) cmd_url ;;
  psql) exec "$(pg_bin)/psql" "$(cmd_url)" ;;
  *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' ;;
esac
