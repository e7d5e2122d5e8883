import type { OutboxRow } from '@orderline/contracts';
import type { PrismaClient } from './prisma';
import { poolOf } from './sql';

/**
 * An outbox table (outbox_events, inventory_outbox_events, or a test's own shaped like them) and
 * the lease that lets one relay at a time publish from it (libs/messaging's startOutboxRelay takes
 * it as its OutboxStore). Every statement
 * is a short one of its own (autocommit): no transaction stays open while the relay waits for
 * Kafka. The lease lives in the database's clock only (`now()`), so the relays' clocks never matter.
 */
export class OutboxRepository {
  private readonly table: string;

  /** @param table another table shaped like outbox_events (a test's own); its name is also the lease's */
  constructor(
    private readonly prisma: PrismaClient,
    { table = 'outbox_events' }: { table?: string } = {},
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new Error(`not a table name: ${JSON.stringify(table)}`);
    this.table = table;
  }

  /** What the relay's dead letters name as their source (dlq-source-topic). */
  get source(): string {
    return this.table;
  }

  /**
   * Takes the relay lease for `ms`, or renews it when `holder` has it already. False while
   * another relay holds a lease that has not expired.
   */
  async tryLease(holder: string, ms: number): Promise<boolean> {
    const { rowCount } = await poolOf(this.prisma).query(
      `INSERT INTO outbox_relay_leases (name, holder, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE outbox_relay_leases.expires_at <= now() OR outbox_relay_leases.holder = EXCLUDED.holder`,
      [this.table, holder, ms],
    );
    return rowCount === 1;
  }

  /** Lets the next relay in at once (a no-op unless `holder` has the lease). */
  async releaseLease(holder: string): Promise<void> {
    await poolOf(this.prisma).query(`UPDATE outbox_relay_leases SET expires_at = now() WHERE name = $1 AND holder = $2`, [
      this.table,
      holder,
    ]);
  }

  /** The oldest events not published yet, in id order; the payload as the text it was stored as (no parse and re-serialise). */
  async oldestUnpublished(limit: number): Promise<OutboxRow[]> {
    const { rows } = await poolOf(this.prisma).query<OutboxRow>(
      `SELECT id::text AS id, aggregate_id::text AS aggregate_id, type, payload::text AS payload,
              CASE WHEN payload ? 'messageId' AND payload ? 'type' AND payload ? 'occurredAt'
                   THEN payload->>'correlationId' END AS correlation_id,
              payload->>'version' AS version,
              CASE WHEN jsonb_typeof(headers) = 'object' THEN headers->>'topic' END AS topic,
              CASE WHEN jsonb_typeof(headers) = 'object' THEN headers->>'traceparent' END AS traceparent,
              CASE WHEN jsonb_typeof(headers) = 'object' THEN headers->>'tracestate' END AS tracestate
       FROM ${this.table} WHERE published_at IS NULL ORDER BY id LIMIT $1`,
      [limit],
    );
    return rows;
  }

  /** Marks the rows published and, in the same statement, releases `holder`'s lease. */
  async markPublished(ids: string[], holder: string): Promise<void> {
    await poolOf(this.prisma).query(
      `WITH marked AS (UPDATE ${this.table} SET published_at = now() WHERE id = ANY($1::bigint[]) AND published_at IS NULL)
       UPDATE outbox_relay_leases SET expires_at = now() WHERE name = $2 AND holder = $3`,
      [ids, this.table, holder],
    );
  }

  /**
   * Deletes at most `limit` rows published more than `olderThanMs` ago (by the database's clock),
   * oldest first; rows another deleter holds are skipped. How many went.
   */
  async deletePublished(olderThanMs: number, limit: number): Promise<number> {
    const { rowCount } = await poolOf(this.prisma).query(
      `DELETE FROM ${this.table} WHERE id IN (
         SELECT id FROM ${this.table} WHERE published_at < now() - $1 * interval '1 millisecond'
         ORDER BY published_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [olderThanMs, limit],
    );
    return rowCount ?? 0;
  }

  /** Events written but not yet published (a metric and a test hook). */
  async backlog(): Promise<number> {
    const { rows } = await poolOf(this.prisma).query<{ count: string }>(
      `SELECT count(*) AS count FROM ${this.table} WHERE published_at IS NULL`,
    );
    return Number(rows[0]?.count ?? 0);
  }
}
