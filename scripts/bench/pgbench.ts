/**
 * The Postgres reference: how many "one order per transaction" transactions this Postgres does per
 * second on this machine, measured with pgbench in the same run (after the load, so the two don't
 * compete). One transaction = BEGIN; conditional stock decrement of a random product; INSERT one
 * order row; INSERT two line rows; COMMIT — on tables of its own (bench_*_<runId>, same shape and
 * indexes as orders / order_line_items / products), created here and dropped afterwards, so the
 * real data is untouched.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pool } from 'pg';

export interface PgbenchResult {
  tps: number;
  clients: number;
  seconds: number;
  transactions: number;
  failed: number;
  binary: string;
}

const PRODUCTS = 1_000;

/** pgbench from Debian's postgresql packages (newest version first), else from PATH. */
function findPgbench(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const candidate = path.join(base, version, 'bin', 'pgbench');
    if (existsSync(candidate)) return candidate;
  }
  return 'pgbench';
}

function tableNames(runId: string) {
  return { products: `bench_products_${runId}`, orders: `bench_orders_${runId}`, lines: `bench_lines_${runId}` };
}

async function createTables(pool: Pool, runId: string): Promise<void> {
  const t = tableNames(runId);
  await dropTables(pool, runId);
  await pool.query(`
    CREATE TABLE ${t.products} (
      id varchar(32) PRIMARY KEY,
      available_quantity integer NOT NULL CHECK (available_quantity >= 0),
      updated_at timestamptz(3) NOT NULL DEFAULT now());
    INSERT INTO ${t.products} (id, available_quantity)
      SELECT 'PROD-' || lpad(n::text, 4, '0'), 1000000 FROM generate_series(1, ${PRODUCTS}) n;
    CREATE TABLE ${t.orders} (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      customer_id varchar(32) NOT NULL,
      status text NOT NULL,
      total_amount numeric(12, 2),
      shipping_address jsonb NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now());
    CREATE INDEX ON ${t.orders} (customer_id, created_at DESC, id DESC);
    CREATE INDEX ON ${t.orders} (status, created_at DESC, id DESC);
    CREATE INDEX ON ${t.orders} (customer_id, status, created_at DESC, id DESC);
    CREATE INDEX ON ${t.orders} (created_at DESC, id DESC);
    CREATE TABLE ${t.lines} (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      order_id uuid NOT NULL REFERENCES ${t.orders} (id) ON DELETE CASCADE,
      product_id varchar(32) NOT NULL,
      quantity integer NOT NULL,
      unit_price numeric(12, 2),
      UNIQUE (order_id, product_id));
    ANALYZE ${t.products};`);
}

async function dropTables(pool: Pool, runId: string): Promise<void> {
  const t = tableNames(runId);
  await pool.query(`DROP TABLE IF EXISTS ${t.lines}, ${t.orders}, ${t.products}`);
}

/** One order per transaction, as a pgbench custom script. */
function script(runId: string): string {
  const t = tableNames(runId);
  return `\\set p1 random(1, ${PRODUCTS})
\\set p2 1 + (:p1 + random(0, ${PRODUCTS - 2})) % ${PRODUCTS}
\\set q1 random(1, 3)
\\set q2 random(1, 3)
\\set c random(1, 49)
BEGIN;
UPDATE ${t.products} SET available_quantity = available_quantity - :q1, updated_at = now()
  WHERE id = 'PROD-' || lpad((:p1)::text, 4, '0') AND available_quantity >= :q1;
INSERT INTO ${t.orders} (customer_id, status, total_amount, shipping_address)
  VALUES ('CUST' || lpad((:c)::text, 2, '0'), 'CONFIRMED', 12.34, '{"line1":"1 Main St","city":"Berlin","postalCode":"10115","country":"DE"}')
  RETURNING id \\gset
INSERT INTO ${t.lines} (order_id, product_id, quantity, unit_price) VALUES
  (:id, 'PROD-' || lpad((:p1)::text, 4, '0'), :q1, 1.23),
  (:id, 'PROD-' || lpad((:p2)::text, 4, '0'), :q2, 4.56);
COMMIT;
`;
}

function exec(binary: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${binary} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Creates the bench_* tables, runs pgbench for `seconds` with `clients`, drops the tables. */
export async function runPgbench(pool: Pool, databaseUrl: string, runId: string, seconds: number, clients: number): Promise<PgbenchResult> {
  const binary = findPgbench();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orderline-pgbench-'));
  const file = path.join(dir, 'order-tx.sql');
  writeFileSync(file, script(runId));
  const url = new URL(databaseUrl);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  const threads = Math.max(1, Math.min(clients, os.cpus().length));
  try {
    await createTables(pool, runId);
    const stdout = await exec(
      binary,
      [
        '-h',
        url.hostname,
        '-p',
        url.port || '5432',
        '-U',
        decodeURIComponent(url.username),
        '-n',
        '-M',
        'prepared',
        '-c',
        String(clients),
        '-j',
        String(threads),
        '-T',
        String(seconds),
        '-f',
        file,
        url.pathname.slice(1),
      ],
      env,
      (seconds + 60) * 1000,
    );
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
    if (!tps) throw new Error(`could not read tps from pgbench output:\n${stdout}`);
    return {
      tps: Number(tps),
      clients,
      seconds,
      transactions: Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? NaN),
      failed: Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0),
      binary,
    };
  } finally {
    await dropTables(pool, runId).catch((error: unknown) => console.error(`could not drop bench_*_${runId} tables:`, error));
    rmSync(dir, { recursive: true, force: true });
  }
}
