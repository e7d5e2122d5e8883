#!/usr/bin/env bash
# Offline replacement for `prisma migrate dev --create-only`. Usage: npm run db:new-migration -- <name>
# (or bash scripts/db/new-migration.sh <name>)
# Diffs prisma/schema.prisma against the schema snapshot stored with the latest migration (or from empty),
# writes prisma/migrations/<UTC timestamp>_<name>/migration.sql and a schema.prisma snapshot next to it.
# Hand-written SQL (CHECKs, partial indexes, data fixes) may be appended to migration.sql before it is applied.
set -euo pipefail
NAME=${1:?usage: npm run db:new-migration -- <name>}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
MIG=prisma/migrations
LAST=$(find "$MIG" -mindepth 2 -maxdepth 2 -name schema.prisma 2>/dev/null | sort | tail -1)
if [ -n "$LAST" ]; then FROM=(--from-schema-datamodel "$LAST"); else FROM=(--from-empty); fi
TMP=$(mktemp)
trap 'rm -f "$TMP"' EXIT
bash scripts/db/prisma.sh migrate diff "${FROM[@]}" --to-schema-datamodel prisma/schema.prisma --script -o "$TMP" >/dev/null
if ! grep -qv '^\s*\(--.*\)\?$' "$TMP"; then echo "No schema changes."; exit 0; fi
DIR="$MIG/$(date -u +%Y%m%d%H%M%S)_${NAME}"
mkdir -p "$DIR"
cp "$TMP" "$DIR/migration.sql"
chmod 644 "$DIR/migration.sql"
cp prisma/schema.prisma "$DIR/schema.prisma"
[ -f "$MIG/migration_lock.toml" ] || printf 'provider = "postgresql"\n' > "$MIG/migration_lock.toml"
echo "Created $DIR/migration.sql"
