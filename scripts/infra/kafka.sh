#!/usr/bin/env bash
# Single-node Apache Kafka broker (KRaft, combined broker+controller) for dev and CI,
# run straight from Apache Kafka's jars on Maven Central (no tarball, no Docker).
#
# Usage: scripts/infra/kafka.sh {install|start|stop|restart|status|reset|logs|help}
#
#   install  install java+maven if missing (apt), resolve Kafka jars into the cache (skipped when present)
#   start    install if needed, format storage once, start in background, wait until ready (idempotent)
#   stop     SIGTERM, wait up to KAFKA_STOP_TIMEOUT s, then SIGKILL; harmless when not running
#   restart  stop + start
#   status   exit 0 when running and answering Kafka requests, 1 otherwise
#   reset    stop and delete the data dir (next start formats a fresh cluster)
#   logs     tail -n 100 of the broker log
#
# Environment (all optional):
#   ORDERLINE_INFRA_DIR     state root                    (default: <repo>/.infra)
#   KAFKA_VERSION           org.apache.kafka:kafka_2.13   (default: 3.9.2; the bundled log4j config is for 3.x)
#   KAFKA_LIBS_DIR          jar cache                     (default: $ORDERLINE_INFRA_DIR/kafka/libs)
#   KAFKA_HOST              listener address              (default: 127.0.0.1)
#   KAFKA_PORT              client listener port          (default: 9092)
#   KAFKA_CONTROLLER_PORT   KRaft controller port         (default: 9093)
#   KAFKA_NUM_PARTITIONS    default partitions            (default: 6)
#   KAFKA_HEAP_OPTS         broker heap                   (default: -Xms256m -Xmx1g)
#   KAFKA_START_TIMEOUT     seconds to wait for readiness (default: 90)
#   KAFKA_STOP_TIMEOUT      seconds before SIGKILL        (default: 30)
#   KAFKA_EXTRA_PROPS       extra server.properties lines, newline separated
#
# Clients should use bootstrap 127.0.0.1:${KAFKA_PORT} (not "localhost", which may resolve to ::1).
set -euo pipefail

SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="$(dirname "$SCRIPT_PATH")"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
TEMPLATE_DIR="$SCRIPT_DIR/kafka"

ORDERLINE_INFRA_DIR="${ORDERLINE_INFRA_DIR:-$REPO_ROOT/.infra}"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
KAFKA_HOME_DIR="$ORDERLINE_INFRA_DIR/kafka"
KAFKA_LIBS_DIR="${KAFKA_LIBS_DIR:-$KAFKA_HOME_DIR/libs}"
KAFKA_DATA_DIR="$KAFKA_HOME_DIR/data"
KAFKA_CONFIG="$KAFKA_HOME_DIR/server.properties"
KAFKA_PID_FILE="$KAFKA_HOME_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_HOME_DIR/kafka.log"
KAFKA_LOCK="$KAFKA_HOME_DIR/.lock"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-6}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_EXTRA_PROPS="${KAFKA_EXTRA_PROPS:-}"
LIBS_MARKER="$KAFKA_LIBS_DIR/.complete"

log() { printf '[kafka.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- helpers

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

ensure_tools() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
    log "installing ${missing[*]} with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
  fi
}

libs_ready() {
  [ -f "$LIBS_MARKER" ] && [ "$(cat "$LIBS_MARKER" 2>/dev/null)" = "$KAFKA_VERSION" ] \
    && compgen -G "$KAFKA_LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null
}

classpath() { printf '%s/*' "$KAFKA_LIBS_DIR"; }

# Run a short-lived Kafka CLI class with a small, fast-starting JVM.
run_tool() {
  java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$TEMPLATE_DIR/tools-log4j.properties" \
    -cp "$(classpath)" "$@" </dev/null
}

pid_is_ours() {  # $1=pid: alive and really our broker (guards against pid reuse)
  local pid="$1" cmd
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *kafka.Kafka* && "$cmd" == *"$KAFKA_CONFIG"* ]]
}

find_pid() {  # prints our broker's pid, from the pid file or (if it was lost) from /proc
  local pid="" p
  [ -f "$KAFKA_PID_FILE" ] && pid="$(tr -dc '0-9' <"$KAFKA_PID_FILE" 2>/dev/null || true)"
  if pid_is_ours "$pid"; then echo "$pid"; return 0; fi
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    if pid_is_ours "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/$KAFKA_HOST/$1") >/dev/null 2>&1; }

# Real Kafka round trip: metadata + ApiVersions against the client listener.
api_ready() {
  timeout 30 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$TEMPLATE_DIR/tools-log4j.properties" \
    -cp "$(classpath)" kafka.admin.BrokerApiVersionsCommand \
    --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" </dev/null 2>/dev/null | grep -q 'ApiVersions('
}

write_config() {
  mkdir -p "$KAFKA_DATA_DIR"
  cat >"$KAFKA_CONFIG.tmp" <<EOF
# Generated by scripts/infra/kafka.sh on every start; edits are overwritten (use KAFKA_EXTRA_PROPS).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$KAFKA_DATA_DIR
metadata.log.dir=$KAFKA_DATA_DIR

# single node: every internal topic with replication factor 1 (else the group
# coordinator never appears -- kafkajs issue #1752)
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
default.replication.factor=1
min.insync.replicas=1

num.partitions=$KAFKA_NUM_PARTITIONS
auto.create.topics.enable=true
delete.topic.enable=true
group.initial.rebalance.delay.ms=0

# small machine
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=67108864
log.retention.check.interval.ms=300000
EOF
  if [ -n "$KAFKA_EXTRA_PROPS" ]; then
    printf '\n# KAFKA_EXTRA_PROPS\n%s\n' "$KAFKA_EXTRA_PROPS" >>"$KAFKA_CONFIG.tmp"
  fi
  mv -f "$KAFKA_CONFIG.tmp" "$KAFKA_CONFIG"
}

format_storage() {
  if [ -f "$KAFKA_DATA_DIR/meta.properties" ]; then return 0; fi
  local cluster_id
  cluster_id="$(run_tool kafka.tools.StorageTool random-uuid | tail -n1 | tr -d '[:space:]')"
  [ -n "$cluster_id" ] || die "could not generate a cluster id"
  log "formatting KRaft storage in $KAFKA_DATA_DIR (cluster id $cluster_id)"
  run_tool kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" -c "$KAFKA_CONFIG" >&2 \
    || die "kafka-storage format failed"
}

ensure_home() {
  mkdir -p "$KAFKA_HOME_DIR"
  # keep jars, data and logs out of git even when .infra is not in the repo's .gitignore
  [ -e "$ORDERLINE_INFRA_DIR/.gitignore" ] || printf '*\n' >"$ORDERLINE_INFRA_DIR/.gitignore"
}

with_lock() {  # serialise concurrent start/stop/reset of the same infra dir
  ensure_home
  exec 9>"$KAFKA_LOCK"
  flock -w 180 9 || die "timed out waiting for $KAFKA_LOCK"
  "$@"
}

# ---------------------------------------------------------------- commands

cmd_install() {
  if libs_ready && command -v java >/dev/null 2>&1; then
    log "Kafka $KAFKA_VERSION jars already in $KAFKA_LIBS_DIR"
    return 0
  fi
  ensure_tools
  libs_ready && { log "Kafka $KAFKA_VERSION jars already in $KAFKA_LIBS_DIR"; return 0; }
  log "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and runtime dependencies from Maven Central"
  local tmp="$KAFKA_LIBS_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp" "$(dirname "$KAFKA_LIBS_DIR")"
  if ! mvn -B -q -Dstyle.color=never -f "$TEMPLATE_DIR/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
        </dev/null >"$tmp.mvn.log" 2>&1; then
    cat "$tmp.mvn.log" >&2
    rm -rf "$tmp" "$tmp.mvn.log"
    die "maven could not resolve Kafka $KAFKA_VERSION"
  fi
  rm -f "$tmp.mvn.log"
  [ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after resolve"; }
  printf '%s\n' "$KAFKA_VERSION" >"$tmp/.complete"
  rm -rf "$KAFKA_LIBS_DIR"
  mv "$tmp" "$KAFKA_LIBS_DIR"
  log "installed $(ls "$KAFKA_LIBS_DIR"/*.jar | wc -l) jars into $KAFKA_LIBS_DIR"
}

do_start() {
  local pid
  if pid="$(find_pid)"; then
    if api_ready; then
      echo "$pid" >"$KAFKA_PID_FILE"
      log "already running (pid $pid) and ready on $KAFKA_HOST:$KAFKA_PORT; log: $KAFKA_LOG"
      return 0
    fi
    log "broker pid $pid is running but not answering yet; waiting for it"
    wait_ready "$pid"
    return 0
  fi
  rm -f "$KAFKA_PID_FILE"
  local port
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$port"; then
      die "port $KAFKA_HOST:$port is already in use by a process this script did not start (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
    fi
  done

  libs_ready || cmd_install
  command -v java >/dev/null 2>&1 || ensure_tools
  write_config
  format_storage

  [ -f "$KAFKA_LOG" ] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.1"
  local started
  started="$(date +%s)"
  log "starting Kafka $KAFKA_VERSION (KRaft) on $KAFKA_HOST:$KAFKA_PORT, controller :$KAFKA_CONTROLLER_PORT"
  # setsid: own session, so the broker survives the caller's terminal/CI step and
  # receives no signals meant for it; the inner shell records its pid, then execs java.
  # 9>&- : the broker must not inherit (and so hold) the lock.
  # shellcheck disable=SC2086
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID_FILE" \
    java -server $KAFKA_HEAP_OPTS \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$TEMPLATE_DIR/log4j.properties" \
      -Dkafka.logs.dir="$KAFKA_HOME_DIR" \
      -cp "$(classpath)" kafka.Kafka "$KAFKA_CONFIG" \
    </dev/null >"$KAFKA_LOG" 2>&1 9>&- &
  disown 2>/dev/null || true

  # wait for the pid file written by the child
  local i
  for i in $(seq 1 50); do
    [ -s "$KAFKA_PID_FILE" ] && break
    sleep 0.1
  done
  pid="$(tr -dc '0-9' <"$KAFKA_PID_FILE" 2>/dev/null || true)"
  [ -n "$pid" ] || die "broker did not start (no pid); log: $KAFKA_LOG"
  wait_ready "$pid"
  log "ready in $(( $(date +%s) - started ))s (pid $pid); bootstrap $KAFKA_HOST:$KAFKA_PORT; log: $KAFKA_LOG"
}

wait_ready() {
  local pid="$1" deadline
  deadline=$(( $(date +%s) + KAFKA_START_TIMEOUT ))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "broker process $pid exited during startup; last lines of $KAFKA_LOG:"
      tail -n 60 "$KAFKA_LOG" >&2 || true
      rm -f "$KAFKA_PID_FILE"
      exit 1
    fi
    if port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null && api_ready; then
      return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "broker not ready after ${KAFKA_START_TIMEOUT}s; last lines of $KAFKA_LOG:"
      tail -n 60 "$KAFKA_LOG" >&2 || true
      log "stopping the half-started broker"
      do_stop || true
      exit 1
    fi
    sleep 0.5
  done
}

do_stop() {
  local pid
  if ! pid="$(find_pid)"; then
    rm -f "$KAFKA_PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $(( KAFKA_STOP_TIMEOUT * 10 )) ]; do
    sleep 0.1
    waited=$(( waited + 1 ))
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$KAFKA_PID_FILE"
  log "stopped (after $(( waited / 10 )).$(( waited % 10 ))s)"
}

cmd_status() {
  local pid
  if ! pid="$(find_pid)"; then
    echo "kafka: not running"
    return 1
  fi
  if ! libs_ready; then
    echo "kafka: pid $pid running, but jars missing from $KAFKA_LIBS_DIR (cannot probe)"
    return 1
  fi
  if port_open "$KAFKA_PORT" && api_ready; then
    echo "kafka: running (pid $pid), ready on $KAFKA_HOST:$KAFKA_PORT; log: $KAFKA_LOG"
    return 0
  fi
  echo "kafka: pid $pid running but not ready on $KAFKA_HOST:$KAFKA_PORT; log: $KAFKA_LOG"
  return 1
}

do_reset() {
  do_stop
  log "deleting $KAFKA_DATA_DIR"
  rm -rf "$KAFKA_DATA_DIR"
}

usage() { sed -n '2,30p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//'; }

main() {
  local cmd="${1:-help}"
  case "$cmd" in
    install) with_lock cmd_install ;;
    start)   with_lock do_start ;;
    stop)    with_lock do_stop ;;
    restart) with_lock do_stop; do_start ;;
    status)  cmd_status ;;
    reset)   with_lock do_reset ;;
    logs)    tail -n 100 "$KAFKA_LOG" ;;
    help|-h|--help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
