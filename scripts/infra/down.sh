#!/usr/bin/env bash
# Stops Kafka and Postgres started by infra:up. Data stays; `kafka.sh reset` / `postgres.sh reset` delete it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/infra/kafka.sh stop
bash scripts/infra/postgres.sh stop
