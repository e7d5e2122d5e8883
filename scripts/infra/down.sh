#!/usr/bin/env bash
# Stops Kafka (every broker: one node or a cluster) and Postgres started by infra:up. Data stays;
# `kafka.sh reset` / `postgres.sh reset` delete it. ORDERLINE_EXTERNAL_POSTGRES=1 leaves Postgres alone.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/infra/kafka.sh stop
[ "${ORDERLINE_EXTERNAL_POSTGRES:-}" = 1 ] || bash scripts/infra/postgres.sh stop
