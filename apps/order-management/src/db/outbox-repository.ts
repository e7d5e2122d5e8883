import type { PrismaClient } from '@orderline/db';

export interface OutboxRow {
  id: bigint;
  aggregate_id: string;
  type: string;
  /** the whole event envelope as JSON text, as written with the change */
  payload: string;
  /** the envelope's correlationId; null when the payload is not an envelope */
  correlation_id: string | null;
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
   * Resolves with the number published, or 'locked' while another relay holds the lock.
   */
  async publishBatch(limit: number, publish: (rows: OutboxRow[]) => Promise<void>): Promise<number | 'locked'> {
    return this.prisma.$transaction(
      async (tx) => {
        const [{ locked }] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked`;
        if (!locked) return 'locked';
        // the payload goes out as the text it was stored as: no parse and re-serialise per event
        const rows = await tx.$queryRaw<OutboxRow[]>`
          SELECT id, aggregate_id::text AS aggregate_id, type, payload::text AS payload,
                 CASE WHEN payload ? 'messageId' AND payload ? 'type' AND payload ? 'occurredAt'
                      THEN payload->>'correlationId' END AS correlation_id
          FROM outbox_events WHERE published_at IS NULL ORDER BY id LIMIT ${limit}`;
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
