import { randomUUID } from 'node:crypto';
import { poolOf, type PrismaClient } from '@orderline/db';
import { WebhookRepository } from '../db/webhook-repository';

/**
 * Tables of the spec's own, shaped like webhooks and webhook_deliveries, so a spec never sees (or
 * sends) another's deliveries in the shared database. Test code only (imported by specs).
 */
export function testWebhookTables(prisma: PrismaClient) {
  const run = randomUUID().replace(/-/g, '').slice(0, 12);
  const tables = { webhooks: `test_webhooks_${run}`, deliveries: `test_webhook_deliveries_${run}` };
  const pool = poolOf(prisma);
  return {
    tables,
    repository: new WebhookRepository(prisma, tables),
    create: async () => {
      await pool.query(`CREATE TABLE ${tables.webhooks} (LIKE webhooks INCLUDING ALL)`);
      await pool.query(`CREATE TABLE ${tables.deliveries} (LIKE webhook_deliveries INCLUDING ALL)`);
    },
    /** empties both tables (between tests) */
    clear: async () => {
      await pool.query(`DELETE FROM ${tables.deliveries}`);
      await pool.query(`DELETE FROM ${tables.webhooks}`);
    },
    drop: async () => {
      await pool.query(`DROP TABLE IF EXISTS ${tables.deliveries}`);
      await pool.query(`DROP TABLE IF EXISTS ${tables.webhooks}`);
    },
    /** a delivery row as stored */
    delivery: async (id: string) =>
      (
        await pool.query<{ status: string; attempts: number; last_status_code: number | null; last_error: string | null }>(
          `SELECT status, attempts, last_status_code, last_error FROM ${tables.deliveries} WHERE id = $1`,
          [id],
        )
      ).rows[0],
    deliveryIds: async (webhookId: string) =>
      (
        await pool.query<{ id: string }>(`SELECT id::text AS id FROM ${tables.deliveries} WHERE webhook_id = $1 ORDER BY id`, [webhookId])
      ).rows.map((row) => row.id),
  };
}

/** An event as the consumer turns it into deliveries. */
export function testEvent(orderId: string, eventType = 'OrderConfirmed', extra: Record<string, unknown> = {}) {
  const eventId = randomUUID();
  return {
    eventId,
    eventType,
    orderId,
    // a moment ahead: webhooks the test registered just before count as registered before the event
    occurredAt: new Date(Date.now() + 1_000).toISOString(),
    body: JSON.stringify({ id: eventId, type: eventType, data: { order: { id: orderId } }, ...extra }),
  };
}
