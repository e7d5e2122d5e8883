#!/usr/bin/env bash
# Starts the local infrastructure (Kafka + Postgres), waits until both answer, and prepares the
# database (generate client, migrate, seed). Idempotent: running it again is harmless.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/infra/kafka.sh start
bash scripts/infra/postgres.sh start
npm run --silent db:generate >/dev/null
npm run --silent db:migrate | grep -v '^$' | tail -1
npm run --silent db:seed
echo "infra up: Kafka 127.0.0.1:${KAFKA_PORT:-9092} (log .infra/kafka/kafka.log), Postgres $(bash scripts/infra/postgres.sh url) (log .infra/postgres/postgres.log)"
