import type { PrismaClient } from '@orderline/db';

export interface OutboxRow {
  id: bigint;
  aggregate_id: string;
  type: string;
  /** the whole event envelope, as written with the change */
  payload: unknown;
}

/** Any fixed number: the advisory lock that lets one relay at a time publish. */
const RELAY_LOCK = 7_220_301;

export class OutboxRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Hands the oldest unpublished events to `publish` and marks them published, in one
   * transaction. One relay at a time holds the lock, so events leave in id order, which for any
   * one order is the order its changes committed in. If `publish` fails nothing is marked; if
   * the commit fails after publishing, the same envelopes (same messageIds) go out again.
   */
  async publishBatch(limit: number, publish: (rows: OutboxRow[]) => Promise<void>): Promise<number> {
    return this.prisma.$transaction(
      async (tx) => {
        const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked`;
        if (!locked) return 0;
        const rows = (
          await tx.$queryRaw<(Omit<OutboxRow, 'payload'> & { payload: string })[]>`
            SELECT id, aggregate_id::text AS aggregate_id, type, payload::text AS payload
            FROM outbox_events WHERE published_at IS NULL ORDER BY id LIMIT ${limit}`
        ).map((row) => ({ ...row, payload: JSON.parse(row.payload) as unknown }));
        if (rows.length === 0) return 0;
        await publish(rows);
        await tx.$executeRaw`UPDATE outbox_events SET published_at = now() WHERE id = ANY(${rows.map((r) => r.id)}::bigint[])`;
        return rows.length;
      },
      { timeout: 30_000 },
    );
  }

  /** Events written but not yet published (a metric and a test hook). */
  async backlog(): Promise<number> {
    return this.prisma.outboxEvent.count({ where: { publishedAt: null } });
  }
}
