import path from 'node:path';
import type { PoolConfig } from 'pg';
import { defineConfig } from 'prisma/config';
// The Prisma 6.19 CLI (migrate deploy/reset/diff) needs the 7.x adapter: with 6.x it hits
// prisma/orm#27403 ("Column type 'name' could not be deserialized"). Runtime code uses @prisma/adapter-pg 6.19.3.
import { PrismaPg } from 'prisma-migrate-adapter';

// schema.prisma still needs `url = env("DATABASE_URL")` (6.x parser) and the CLI must be able to resolve
// it: when it can't read the schema it falls back to *downloading native engines* (fails offline with a
// misleading network error). The adapter below is what actually connects.
process.env.DATABASE_URL ??= 'postgresql://orderline:orderline@127.0.0.1:5432/orderline';

function poolConfigFromUrl(raw: string): PoolConfig {
  // Discrete fields rather than { connectionString }: PrismaPg.connectToShadowDb() builds the shadow pool
  // as { ...config, database: "prisma_migrate_shadow_db_<uuid>" } and pg lets connectionString override
  // `database`, which would make the "shadow" the real DB.
  const u = new URL(raw);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    // Without this, pg.Pool keeps the CLI process alive for idleTimeoutMillis (10 s) after each command.
    allowExitOnIdle: true,
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations'), seed: 'tsx prisma/seed.ts' },
  adapter: async () => new PrismaPg(poolConfigFromUrl(process.env.DATABASE_URL!)),
});
