#!/usr/bin/env bash
# Run the Prisma 6.19 CLI offline-safe. Usage: bash scripts/db/prisma.sh <prisma args...>
#  - PRISMA_QUERY_ENGINE_LIBRARY / PRISMA_SCHEMA_ENGINE_BINARY point at any existing file, so that if the
#    CLI ever can't read the schema it reports the real error instead of trying to download native engines.
#  - CHECKPOINT_DISABLE=1: no version-check call home.
#  - unref-long-timers.cjs: lets `migrate deploy/reset` exit immediately instead of ~10 s later.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export PRISMA_QUERY_ENGINE_LIBRARY="$ROOT/node_modules/prisma/package.json"
export PRISMA_SCHEMA_ENGINE_BINARY="$ROOT/node_modules/prisma/package.json"
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
export NODE_OPTIONS="${NODE_OPTIONS:-} --require $ROOT/scripts/db/unref-long-timers.cjs"
exec "$ROOT/node_modules/.bin/prisma" "$@"
