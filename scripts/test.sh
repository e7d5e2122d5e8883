#!/usr/bin/env bash
# `npm test`: the whole suite. Brings up Kafka + Postgres (idempotent; they stay up afterwards,
# `npm run infra:down` stops them), prepares the database, builds the apps and runs every
# project's type check, lint and tests with Nx: unit tests, integration tests against the real Kafka and Postgres,
# and end-to-end tests through the gateway. Extra arguments go to `nx run-many`.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=true KAFKAJS_NO_PARTITIONER_WARNING=1 FORCE_COLOR=0

bash scripts/infra/up.sh

mkdir -p test-output
log=test-output/test-run.log
status=0
npx nx run-many -t typecheck lint test --parallel=2 --output-style=static "$@" 2>&1 | tee "$log" || status=$?

# One closing line for the whole suite, summed over every project's jest summary.
sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\S*:?\s*Tests:' | awk '
  { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  END { printf "\nsuite: %d passed, %d failed\n", p, f }'
exit "$status"
