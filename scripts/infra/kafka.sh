#!/usr/bin/env bash
# Apache Kafka (KRaft, combined broker+controller nodes) for dev and CI, run straight from Apache
# Kafka's jars on Maven Central (no tarball, no Docker): one node by default, or a replicated
# cluster of KAFKA_CLUSTER_SIZE nodes on this machine.
#
# Usage: scripts/infra/kafka.sh {install|start|stop|restart|status|reset|logs [n]|brokers|start-node n|stop-node n|kill-node n|help}
#
#   install      install java+maven if missing (apt), resolve Kafka jars into the cache (skipped when present)
#   start        install if needed, format storage once, start every node that is not running, wait until
#                all are ready (idempotent: after kill-node, `start` brings the missing nodes back)
#   stop         SIGTERM every node this infra dir runs (single or cluster, whatever KAFKA_CLUSTER_SIZE
#                says), wait up to KAFKA_STOP_TIMEOUT s, then SIGKILL; harmless when not running
#   restart      stop + start
#   status       exit 0 when every node runs and the cluster answers Kafka requests, 1 otherwise
#   reset        stop and delete the data of every node (next start formats a fresh cluster)
#   logs [n]     tail -n 100 of the (node n's) broker log
#   brokers      print the bootstrap list for clients (KAFKA_BROKERS), e.g. 127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096
#   start-node n / stop-node n / kill-node n   one node of the cluster (kill-node: SIGKILL, for fault tests)
#
# One node (KAFKA_CLUSTER_SIZE=1, the default): state in $ORDERLINE_INFRA_DIR/kafka, client port
# KAFKA_PORT, every topic with replication factor 1.
# A cluster (KAFKA_CLUSTER_SIZE=3): node n (1..3) in $ORDERLINE_INFRA_DIR/kafka-<n> (pid file
# kafka-<n>/kafka.pid), client port KAFKA_PORT + 2(n-1) (9092, 9094, 9096), controller port
# KAFKA_CONTROLLER_PORT + 2(n-1) (9093, 9095, 9097); every node a voter of the KRaft quorum.
# Replication factor min(3, nodes) and min.insync.replicas 2 (1 on one node) for the broker's own
# topics and its defaults -- the same rule as libs/messaging's topicSettings for the apps' topics.
#
# Environment (all optional):
#   ORDERLINE_INFRA_DIR     state root                    (default: <repo>/.infra)
#   KAFKA_CLUSTER_SIZE      number of nodes               (default: 1)
#   KAFKA_VERSION           org.apache.kafka:kafka_2.13   (default: 3.9.2; the bundled log4j config is for 3.x)
#   KAFKA_LIBS_DIR          jar cache                     (default: $ORDERLINE_INFRA_DIR/kafka/libs)
#   KAFKA_HOST              listener address              (default: 127.0.0.1)
#   KAFKA_PORT              (first node's) client port    (default: 9092)
#   KAFKA_CONTROLLER_PORT   (first node's) KRaft port     (default: KAFKA_PORT + 1)
#   KAFKA_NUM_PARTITIONS    default partitions            (default: 6)
#   KAFKA_HEAP_OPTS         heap per node                 (default: -Xms256m -Xmx1g; a cluster: -Xms128m -Xmx512m)
#   KAFKA_START_TIMEOUT     seconds to wait for readiness (default: 90; a cluster: 150)
#   KAFKA_STOP_TIMEOUT      seconds before SIGKILL        (default: 30)
#   KAFKA_EXTRA_PROPS       extra server.properties lines, newline separated
#
# Clients should use `kafka.sh brokers` (127.0.0.1:${KAFKA_PORT}, not "localhost", which may resolve to ::1).
set -euo pipefail

SCRIPT_PATH="$(readlink -f "${BASH_SOURCE[0]}")"
SCRIPT_DIR="$(dirname "$SCRIPT_PATH")"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
TEMPLATE_DIR="$SCRIPT_DIR/kafka"

ORDERLINE_INFRA_DIR="${ORDERLINE_INFRA_DIR:-$REPO_ROOT/.infra}"
KAFKA_CLUSTER_SIZE="${KAFKA_CLUSTER_SIZE:-1}"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
# the jar cache and the lock live here in both layouts
KAFKA_SHARED_DIR="$ORDERLINE_INFRA_DIR/kafka"
KAFKA_LIBS_DIR="${KAFKA_LIBS_DIR:-$KAFKA_SHARED_DIR/libs}"
KAFKA_LOCK="$KAFKA_SHARED_DIR/.lock"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-6}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
KAFKA_EXTRA_PROPS="${KAFKA_EXTRA_PROPS:-}"
LIBS_MARKER="$KAFKA_LIBS_DIR/.complete"

log() { printf '[kafka.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ "$KAFKA_CLUSTER_SIZE" =~ ^[1-9]$ ]] || die "KAFKA_CLUSTER_SIZE must be 1..9, got '$KAFKA_CLUSTER_SIZE'"
if [ "$KAFKA_CLUSTER_SIZE" -eq 1 ]; then
  KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
  KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
else
  # several JVMs share the machine
  KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
  KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-150}"
fi
# replication of the broker's own topics and its defaults: the rule of libs/messaging's topicSettings
REPLICATION_FACTOR=$(( KAFKA_CLUSTER_SIZE < 3 ? KAFKA_CLUSTER_SIZE : 3 ))
MIN_INSYNC_REPLICAS=$(( REPLICATION_FACTOR > 1 ? 2 : 1 ))

NODES=$(seq 1 "$KAFKA_CLUSTER_SIZE")

# ---------------------------------------------------------------- nodes

# Sets the NODE_* variables for node $1 (1-based) of the configured layout.
node_env() {
  NODE_ID="$1"
  if [ "$KAFKA_CLUSTER_SIZE" -eq 1 ]; then
    NODE_HOME="$KAFKA_SHARED_DIR"
  else
    NODE_HOME="$ORDERLINE_INFRA_DIR/kafka-$NODE_ID"
  fi
  NODE_PORT=$(( KAFKA_PORT + 2 * (NODE_ID - 1) ))
  NODE_CONTROLLER_PORT=$(( KAFKA_CONTROLLER_PORT + 2 * (NODE_ID - 1) ))
  NODE_DATA="$NODE_HOME/data"
  NODE_CONFIG="$NODE_HOME/server.properties"
  NODE_PID_FILE="$NODE_HOME/kafka.pid"
  NODE_LOG="$NODE_HOME/kafka.log"
}

# Every node home under this infra dir, whatever layout it was started with (so `stop` and `reset`
# never leave a broker of the other layout behind).
all_node_homes() {
  local dir
  for dir in "$KAFKA_SHARED_DIR" "$ORDERLINE_INFRA_DIR"/kafka-[0-9]*; do
    [ -d "$dir" ] && printf '%s\n' "$dir"
  done
  return 0
}

# Sets the NODE_* variables the stop needs from a node home alone.
node_env_from_home() {
  NODE_HOME="$1"
  NODE_ID="${1##*/kafka-}"
  [ "$NODE_ID" = "$1" ] && NODE_ID=1
  NODE_DATA="$NODE_HOME/data"
  NODE_CONFIG="$NODE_HOME/server.properties"
  NODE_PID_FILE="$NODE_HOME/kafka.pid"
  NODE_LOG="$NODE_HOME/kafka.log"
}

bootstrap_list() {
  local n list=""
  for n in $NODES; do
    list="${list:+$list,}$KAFKA_HOST:$(( KAFKA_PORT + 2 * (n - 1) ))"
  done
  printf '%s\n' "$list"
}

check_ports_distinct() {
  local ports=() n
  for n in $NODES; do
    ports+=($(( KAFKA_PORT + 2 * (n - 1) )) $(( KAFKA_CONTROLLER_PORT + 2 * (n - 1) )))
  done
  if [ "$(printf '%s\n' "${ports[@]}" | sort -u | wc -l)" -ne "${#ports[@]}" ]; then
    die "client and controller ports collide (${ports[*]}): KAFKA_CONTROLLER_PORT must not be KAFKA_PORT plus an even number (default: KAFKA_PORT + 1)"
  fi
}

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

pid_is_ours() {  # $1=pid: alive and really this node's broker (guards against pid reuse)
  local pid="$1" cmd
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *kafka.Kafka* && "$cmd" == *" $NODE_CONFIG"* ]]
}

find_pid() {  # prints this node's broker pid, from the pid file or (if it was lost) from /proc
  local pid="" p
  [ -f "$NODE_PID_FILE" ] && pid="$(tr -dc '0-9' <"$NODE_PID_FILE" 2>/dev/null || true)"
  if pid_is_ours "$pid"; then echo "$pid"; return 0; fi
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    if pid_is_ours "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/$KAFKA_HOST/$1") >/dev/null 2>&1; }

# Real Kafka round trip: metadata + ApiVersions of every broker the metadata names.
api_ready() {
  timeout 30 java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$TEMPLATE_DIR/tools-log4j.properties" \
    -cp "$(classpath)" kafka.admin.BrokerApiVersionsCommand \
    --bootstrap-server "$(bootstrap_list)" </dev/null 2>/dev/null | grep -q 'ApiVersions('
}

quorum_voters() {
  local n voters=""
  for n in $NODES; do
    voters="${voters:+$voters,}$n@$KAFKA_HOST:$(( KAFKA_CONTROLLER_PORT + 2 * (n - 1) ))"
  done
  printf '%s' "$voters"
}

write_config() {
  mkdir -p "$NODE_DATA"
  cat >"$NODE_CONFIG.tmp" <<CONF
# Generated by scripts/infra/kafka.sh on every start; edits are overwritten (use KAFKA_EXTRA_PROPS).
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$(quorum_voters)
listeners=PLAINTEXT://$KAFKA_HOST:$NODE_PORT,CONTROLLER://$KAFKA_HOST:$NODE_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$NODE_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=$NODE_DATA
metadata.log.dir=$NODE_DATA

# $KAFKA_CLUSTER_SIZE node(s): the broker's own topics and its defaults replicated min(3, nodes) times,
# acks=all writes need 2 in-sync replicas (1 on a single node, where every internal topic must have
# replication factor 1, else the group coordinator never appears -- kafkajs issue #1752)
offsets.topic.replication.factor=$REPLICATION_FACTOR
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$REPLICATION_FACTOR
transaction.state.log.min.isr=$MIN_INSYNC_REPLICAS
transaction.state.log.num.partitions=6
default.replication.factor=$REPLICATION_FACTOR
min.insync.replicas=$MIN_INSYNC_REPLICAS

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
CONF
  if [ -n "$KAFKA_EXTRA_PROPS" ]; then
    printf '\n# KAFKA_EXTRA_PROPS\n%s\n' "$KAFKA_EXTRA_PROPS" >>"$NODE_CONFIG.tmp"
  fi
  mv -f "$NODE_CONFIG.tmp" "$NODE_CONFIG"
}

# The cluster id every node is formatted with: the one a formatted node already has, else a new one.
CLUSTER_ID=""
cluster_id() {
  if [ -z "$CLUSTER_ID" ]; then
    local n
    for n in $NODES; do
      node_env "$n"
      if [ -f "$NODE_DATA/meta.properties" ]; then
        CLUSTER_ID="$(sed -n 's/^cluster\.id=//p' "$NODE_DATA/meta.properties" | tr -d '[:space:]')"
        [ -n "$CLUSTER_ID" ] && break
      fi
    done
  fi
  if [ -z "$CLUSTER_ID" ]; then
    CLUSTER_ID="$(run_tool kafka.tools.StorageTool random-uuid | tail -n1 | tr -d '[:space:]')"
    [ -n "$CLUSTER_ID" ] || die "could not generate a cluster id"
  fi
  printf '%s' "$CLUSTER_ID"
}

format_storage() {  # for the current node
  if [ -f "$NODE_DATA/meta.properties" ]; then return 0; fi
  local id node="$NODE_ID"
  id="$(cluster_id)"
  node_env "$node"
  log "formatting KRaft storage in $NODE_DATA (cluster id $id)"
  run_tool kafka.tools.StorageTool format --ignore-formatted -t "$id" -c "$NODE_CONFIG" >&2 \
    || die "kafka-storage format failed"
}

ensure_home() {
  mkdir -p "$KAFKA_SHARED_DIR"
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

launch_node() {  # the current node, in the background; prints nothing, records the pid file
  rm -f "$NODE_PID_FILE"
  local port
  for port in "$NODE_PORT" "$NODE_CONTROLLER_PORT"; do
    if port_open "$port"; then
      die "port $KAFKA_HOST:$port is already in use by a process this script did not start (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
    fi
  done
  write_config
  format_storage
  [ -f "$NODE_LOG" ] && mv -f "$NODE_LOG" "$NODE_LOG.1"
  log "starting Kafka $KAFKA_VERSION (KRaft) node $NODE_ID on $KAFKA_HOST:$NODE_PORT, controller :$NODE_CONTROLLER_PORT"
  # setsid: own session, so the broker survives the caller's terminal/CI step and
  # receives no signals meant for it; the inner shell records its pid, then execs java.
  # 9>&- : the broker must not inherit (and so hold) the lock.
  # shellcheck disable=SC2086
  setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$NODE_PID_FILE" \
    java -server $KAFKA_HEAP_OPTS \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true \
      -Dlog4j.configuration="file:$TEMPLATE_DIR/log4j.properties" \
      -Dkafka.logs.dir="$NODE_HOME" \
      -cp "$(classpath)" kafka.Kafka "$NODE_CONFIG" \
    </dev/null >"$NODE_LOG" 2>&1 9>&- &
  disown 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    [ -s "$NODE_PID_FILE" ] && break
    sleep 0.1
  done
  [ -n "$(tr -dc '0-9' <"$NODE_PID_FILE" 2>/dev/null || true)" ] || die "node $NODE_ID did not start (no pid); log: $NODE_LOG"
}

# Starts the nodes named (every node of a cluster must be launched before any can be ready: a node
# waits for a quorum of controllers), then waits until all of them and the cluster answer.
start_nodes() {
  local n pid launched=() started
  started="$(date +%s)"
  libs_ready || cmd_install
  command -v java >/dev/null 2>&1 || ensure_tools
  for n in "$@"; do
    node_env "$n"
    if pid="$(find_pid)"; then
      echo "$pid" >"$NODE_PID_FILE"
      log "node $n already running (pid $pid) on $KAFKA_HOST:$NODE_PORT"
      continue
    fi
    launch_node
    launched+=("$n")
  done
  wait_ready "$@"
  local what="ready"
  [ "${#launched[@]}" -eq 0 ] && what="already running and ready"
  log "$what in $(( $(date +%s) - started ))s; bootstrap $(bootstrap_list); log(s): $(for n in "$@"; do node_env "$n"; printf '%s ' "$NODE_LOG"; done)"
}

node_started() {  # the current node: its process is up, it logged its start, its port answers
  port_open "$NODE_PORT" && grep -q 'Kafka Server started' "$NODE_LOG" 2>/dev/null
}

wait_ready() {  # nodes named: all started and the cluster answering, within KAFKA_START_TIMEOUT
  local deadline n pid pending
  deadline=$(( $(date +%s) + KAFKA_START_TIMEOUT ))
  while :; do
    pending=""
    for n in "$@"; do
      node_env "$n"
      if ! pid="$(find_pid)"; then
        log "node $n exited during startup; last lines of $NODE_LOG:"
        tail -n 60 "$NODE_LOG" >&2 || true
        rm -f "$NODE_PID_FILE"
        exit 1
      fi
      node_started || pending="$pending $n"
    done
    if [ -z "$pending" ] && api_ready; then
      return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      for n in ${pending:-$1}; do
        node_env "$n"
        log "node $n not ready after ${KAFKA_START_TIMEOUT}s; last lines of $NODE_LOG:"
        tail -n 60 "$NODE_LOG" >&2 || true
      done
      log "stopping the half-started node(s)"
      for n in "$@"; do node_env "$n"; stop_node TERM || true; done
      exit 1
    fi
    sleep 0.5
  done
}

stop_node() {  # the current node; $1 = TERM (graceful, SIGKILL after KAFKA_STOP_TIMEOUT) or KILL
  local signal="${1:-TERM}" pid
  if ! pid="$(find_pid)"; then
    rm -f "$NODE_PID_FILE"
    log "node $NODE_ID ($NODE_HOME) not running"
    return 0
  fi
  log "stopping node $NODE_ID with SIG$signal (pid $pid)"
  kill "-$signal" "$pid" 2>/dev/null || true
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
  rm -f "$NODE_PID_FILE"
  log "node $NODE_ID stopped (after $(( waited / 10 )).$(( waited % 10 ))s)"
}

do_start() {
  check_ports_distinct
  # shellcheck disable=SC2086
  start_nodes $NODES
}

do_stop() {  # every node under this infra dir, in parallel (a cluster's nodes wait on each other otherwise)
  local home pids=() found=0
  while IFS= read -r home; do
    node_env_from_home "$home"
    if find_pid >/dev/null; then
      found=1
      ( stop_node TERM ) &
      pids+=($!)
    else
      rm -f "$NODE_PID_FILE"
    fi
  done < <(all_node_homes)
  [ "$found" -eq 1 ] || log "not running"
  local p status=0
  for p in "${pids[@]}"; do wait "$p" || status=1; done
  return "$status"
}

node_arg() {  # validates a node number of the configured cluster
  [[ "${1:-}" =~ ^[1-9]$ ]] && [ "$1" -le "$KAFKA_CLUSTER_SIZE" ] \
    || die "name a node 1..$KAFKA_CLUSTER_SIZE (KAFKA_CLUSTER_SIZE=$KAFKA_CLUSTER_SIZE), got '${1:-}'"
}

cmd_status() {
  local n pid status=0 ready=()
  if ! libs_ready; then
    echo "kafka: jars missing from $KAFKA_LIBS_DIR (cannot probe)"
    return 1
  fi
  for n in $NODES; do
    node_env "$n"
    if ! pid="$(find_pid)"; then
      echo "kafka node $n: not running ($KAFKA_HOST:$NODE_PORT)"
      status=1
    elif port_open "$NODE_PORT"; then
      echo "kafka node $n: running (pid $pid) on $KAFKA_HOST:$NODE_PORT; log: $NODE_LOG"
      ready+=("$n")
    else
      echo "kafka node $n: pid $pid running but not listening on $KAFKA_HOST:$NODE_PORT; log: $NODE_LOG"
      status=1
    fi
  done
  if [ "${#ready[@]}" -gt 0 ] && ! api_ready; then
    echo "kafka: the cluster does not answer Kafka requests on $(bootstrap_list)"
    status=1
  fi
  [ "$status" -eq 0 ] && echo "kafka: ready, bootstrap $(bootstrap_list)"
  return "$status"
}

do_reset() {
  do_stop
  local home
  while IFS= read -r home; do
    log "deleting $home/data"
    rm -rf "$home/data"
  done < <(all_node_homes)
}

usage() { sed -n '2,42p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//'; }

main() {
  local cmd="${1:-help}"
  case "$cmd" in
    install) with_lock cmd_install ;;
    start)   with_lock do_start ;;
    stop)    with_lock do_stop ;;
    restart) with_lock do_stop; do_start ;;
    status)  cmd_status ;;
    reset)   with_lock do_reset ;;
    logs)    node_env "${2:-1}"; tail -n 100 "$NODE_LOG" ;;
    brokers) bootstrap_list ;;
    start-node) node_arg "${2:-}"; with_lock start_nodes "$2" ;;
    stop-node)  node_arg "${2:-}"; node_env "$2"; with_lock stop_node TERM ;;
    kill-node)  node_arg "${2:-}"; node_env "$2"; with_lock stop_node KILL ;;
    help|-h|--help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
