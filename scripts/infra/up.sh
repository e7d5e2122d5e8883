#!/usr/bin/env bash
# Starts the local infrastructure (Kafka + Postgres), waits until both answer, and prepares the
# database (generate client, migrate, seed). Idempotent: running it again is harmless.
# KAFKA_CLUSTER_SIZE=3: Kafka as a three-broker cluster (see scripts/infra/kafka.sh); the apps then
# need KAFKA_BROKERS="$(bash scripts/infra/kafka.sh brokers)" (npm start and the fault tests set it).
# ORDERLINE_EXTERNAL_POSTGRES=1: use the Postgres DATABASE_URL names (already running), start none.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/infra/kafka.sh start
if [ "${ORDERLINE_EXTERNAL_POSTGRES:-}" = 1 ]; then
  postgres="${DATABASE_URL:-$(bash scripts/infra/postgres.sh url)} (external)"
else
  bash scripts/infra/postgres.sh start
  postgres="$(bash scripts/infra/postgres.sh url) (log .infra/postgres/postgres.log)"
fi
npm run --silent db:generate >/dev/null
npm run --silent db:migrate | grep -v '^$' | tail -1
npm run --silent db:seed
if [ "${KAFKA_CLUSTER_SIZE:-1}" -gt 1 ]; then
  kafka="a cluster of $KAFKA_CLUSTER_SIZE brokers, KAFKA_BROKERS=$(bash scripts/infra/kafka.sh brokers) (logs .infra/kafka-<n>/kafka.log)"
else
  kafka="$(bash scripts/infra/kafka.sh brokers) (log .infra/kafka/kafka.log)"
fi
echo "infra up: Kafka $kafka, Postgres $postgres"
