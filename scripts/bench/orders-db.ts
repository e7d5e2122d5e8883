/**
 * Direct Postgres access for the bench: durability settings, the stock top-up and the run's own
 * customers before the run, waiting until every accepted order is final, and finding the rows the
 * run created. Reads `orders` only by id / by the run's tag; never changes orders.
 */
import { Pool } from 'pg';

export const DEFAULT_DATABASE_URL = 'postgresql://orderline:orderline@127.0.0.1:5432/orderline';
const ID_BATCH = 5_000;

export interface OrderRow {
  id: string;
  status: string;
  rejectionReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface FinalWait {
  /** orders that reached a status other than PENDING */
  final: Map<string, OrderRow>;
  /** accepted ids never found in `orders` by the deadline */
  notFound: string[];
  /** accepted ids still PENDING at the deadline */
  stillPending: string[];
  /** epoch ms when the wait ended */
  endedAt: number;
}

export function createPool(databaseUrl: string): Pool {
  return new Pool({ connectionString: databaseUrl, max: 4 });
}

const productIds = (count: number): string[] => Array.from({ length: count }, (_, i) => `PROD-${String(i + 1).padStart(4, '0')}`);

/** Durability as Postgres reports it (not as assumed). */
export async function durabilitySettings(pool: Pool): Promise<Record<string, string>> {
  const settings: Record<string, string> = {};
  for (const name of ['fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes']) {
    const { rows } = await pool.query<{ setting: string }>('SELECT current_setting($1) AS setting', [name]);
    settings[name] = rows[0]?.setting ?? '?';
  }
  return settings;
}

/** The products the bench draws from: PROD-0001 .. PROD-<count> (seeded). */
export const benchProductIds = productIds;

/**
 * `count` customers of the run's own, `B<runId>-1` …: the bench's orders never ship, so they stay
 * open, and a customer may hold only so many open orders (MAX_OPEN_ORDERS_PER_CUSTOMER); customers
 * of their own keep one run's orders from counting against the next run, or against the seeded
 * customers the e2e tests use.
 */
export async function createBenchCustomers(pool: Pool, runId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `B${runId}-${i + 1}`);
  await pool.query(
    `INSERT INTO customers (id, name, email, blocked)
     SELECT id, 'Bench customer', id || '@bench.example.com', false FROM unnest($1::varchar[]) AS ids(id)
     ON CONFLICT (id) DO NOTHING`,
    [ids],
  );
  return ids;
}

async function fetchOrders(pool: Pool, ids: readonly string[]): Promise<OrderRow[]> {
  const rows: OrderRow[] = [];
  for (let i = 0; i < ids.length; i += ID_BATCH) {
    const result = await pool.query<{ id: string; status: string; rejection_reason: string | null; created_at: Date; updated_at: Date }>(
      'SELECT id, status, rejection_reason, created_at, updated_at FROM orders WHERE id = ANY($1::uuid[])',
      [ids.slice(i, i + ID_BATCH)],
    );
    for (const row of result.rows) {
      rows.push({
        id: row.id,
        status: row.status,
        rejectionReason: row.rejection_reason,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      });
    }
  }
  return rows;
}

/**
 * Polls Postgres until every id has a status other than PENDING or `deadline` (epoch ms) passes.
 * Each round re-reads only the ids not yet final. Prints progress every few seconds.
 */
export async function waitUntilFinal(pool: Pool, ids: readonly string[], deadline: number, intervalMs = 500): Promise<FinalWait> {
  const final = new Map<string, OrderRow>();
  const seen = new Set<string>();
  let open = [...ids];
  let lastProgress = Date.now();
  const maxRounds = Math.ceil((deadline - Date.now()) / intervalMs) + 2;
  for (let round = 0; open.length > 0 && round < maxRounds; round++) {
    for (const row of await fetchOrders(pool, open)) {
      seen.add(row.id);
      if (row.status !== 'PENDING') final.set(row.id, row);
    }
    open = open.filter((id) => !final.has(id));
    if (open.length === 0 || Date.now() >= deadline) break;
    if (Date.now() - lastProgress >= 10_000) {
      lastProgress = Date.now();
      console.log(`  … ${final.size}/${ids.length} final, waiting up to ${Math.round((deadline - Date.now()) / 1000)} s more`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return {
    final,
    notFound: open.filter((id) => !seen.has(id)),
    stillPending: open.filter((id) => seen.has(id)),
    endedAt: Date.now(),
  };
}

export interface TaggedRow {
  id: string;
  customerId: string;
  /** the request sequence number parsed from shippingAddress.line1 */
  seq: number;
}

/**
 * Every order row this run created, found by the tag the load generator put in
 * shippingAddress.line1 (`<seq> Benchmark Allee, run <runId>`), created since `since` (epoch ms).
 */
export async function taggedRows(pool: Pool, runId: string, since: number): Promise<TaggedRow[]> {
  const { rows } = await pool.query<{ id: string; customer_id: string; line1: string }>(
    `SELECT id, customer_id, shipping_address->>'line1' AS line1
       FROM orders
      WHERE created_at >= $1 AND shipping_address->>'line1' LIKE $2`,
    [new Date(since), `%, run ${runId}`],
  );
  return rows.map((row) => ({ id: row.id, customerId: row.customer_id, seq: Number.parseInt(row.line1, 10) }));
}
