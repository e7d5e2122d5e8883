import { poolOf, type PrismaClient } from '@orderline/db';
import type { Webhook, WebhookDelivery } from '@orderline/contracts';

/** A delivery a sender has claimed, with what it takes to send it. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  url: string;
  secret: string;
  eventId: string;
  eventType: string;
  orderId: string;
  /** the event's correlation id, for the log lines about this delivery */
  correlationId: string | null;
  body: string;
  /** attempts before this one */
  attempts: number;
  giveUpAt: Date;
}

/** One event to turn into a delivery for every active webhook that wants its type. */
export interface EventToDeliver {
  eventId: string;
  eventType: string;
  /** when the event happened: webhooks registered after it do not get it */
  occurredAt: string;
  correlationId?: string;
  orderId: string;
  body: string;
  /** set when the event cannot be sent (too large): stored FAILED with this as its error */
  refused?: string;
}

export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
}

interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  secret: string;
  created_at: Date;
  disabled_at: Date | null;
  disabled_reason: string | null;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  order_id: string;
  status: WebhookDelivery['status'];
  attempts: number;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date;
  created_at: Date;
}

const DELIVERY_COLUMNS = `id::text AS id, webhook_id::text AS webhook_id, event_id::text AS event_id, event_type,
  order_id::text AS order_id, status, attempts, last_attempt_at, last_status_code, last_error, next_attempt_at, created_at`;

const tableName = (name: string) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a table name: ${JSON.stringify(name)}`);
  return name;
};

/**
 * notification-service's tables: webhooks and their deliveries. Plain SQL on the pool (libs/db's
 * `poolOf`); every statement is one of its own, so no transaction stays open while a webhook is sent.
 * Claims are leases (`locked_until`, `locked_by`) taken with FOR UPDATE SKIP LOCKED, so any number
 * of instances share the work without taking the same row.
 */
export class WebhookRepository {
  private readonly webhooks: string;
  private readonly deliveries: string;

  /** @param tables a test's own tables shaped like webhooks and webhook_deliveries */
  constructor(
    private readonly prisma: PrismaClient,
    tables: { webhooks?: string; deliveries?: string } = {},
  ) {
    this.webhooks = tableName(tables.webhooks ?? 'webhooks');
    this.deliveries = tableName(tables.deliveries ?? 'webhook_deliveries');
  }

  private get pool() {
    return poolOf(this.prisma);
  }

  /**
   * Registers a webhook unless `max` are registered; the id is the request's (a redelivered
   * request finds the webhook it made). Undefined when at the limit.
   */
  async createWebhook(webhook: { id: string; url: string; events: string[]; secret: string }, max: number) {
    const { rows } = await this.pool.query<WebhookRow>(
      `INSERT INTO ${this.webhooks} (id, url, events, secret)
       SELECT $1::uuid, $2::text, $3::text[], $4::text WHERE (SELECT count(*) FROM ${this.webhooks}) < $5
       ON CONFLICT (id) DO NOTHING
       RETURNING id::text AS id, url, events, secret, created_at, disabled_at, disabled_reason`,
      [webhook.id, webhook.url, webhook.events, webhook.secret, max],
    );
    const row = rows[0] ?? (await this.findWebhook(webhook.id));
    return row ? { ...toWebhook(row), secret: row.secret } : undefined;
  }

  private async findWebhook(id: string): Promise<WebhookRow | undefined> {
    const { rows } = await this.pool.query<WebhookRow>(
      `SELECT id::text AS id, url, events, secret, created_at, disabled_at, disabled_reason FROM ${this.webhooks} WHERE id = $1`,
      [id],
    );
    return rows[0];
  }

  async listWebhooks(): Promise<Webhook[]> {
    const { rows } = await this.pool.query<WebhookRow>(
      `SELECT id::text AS id, url, events, secret, created_at, disabled_at, disabled_reason FROM ${this.webhooks} ORDER BY created_at, id`,
    );
    return rows.map(toWebhook);
  }

  /** Removes a webhook and (cascade) its deliveries. False when there was none. */
  async deleteWebhook(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`DELETE FROM ${this.webhooks} WHERE id = $1`, [id]);
    if (this.deliveries !== 'webhook_deliveries') await this.pool.query(`DELETE FROM ${this.deliveries} WHERE webhook_id = $1`, [id]);
    return rowCount === 1;
  }

  /**
   * One delivery per event and active webhook that wants its type and was registered before it
   * happened, in the events' order (the ids order one order's deliveries). Idempotent: an event
   * already turned into deliveries adds none. The webhooks are locked FOR KEY SHARE, so one deleted
   * meanwhile is skipped rather than failing the insert. Resolves with how many were added.
   */
  async addDeliveries(events: EventToDeliver[], retryWindowMs: number): Promise<number> {
    if (events.length === 0) return 0;
    const { rowCount } = await this.pool.query(
      `INSERT INTO ${this.deliveries} (webhook_id, event_id, event_type, order_id, body, status, give_up_at, last_error, correlation_id)
       SELECT w.id, e.event_id, e.event_type, e.order_id, e.body,
              CASE WHEN e.refused IS NULL THEN 'PENDING' ELSE 'FAILED' END::webhook_delivery_status,
              now() + $6 * interval '1 millisecond', e.refused, e.correlation_id
       FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $7::timestamptz[], $8::text[])
              WITH ORDINALITY AS e(event_id, event_type, order_id, body, refused, occurred_at, correlation_id, n)
       JOIN ${this.webhooks} w ON w.disabled_at IS NULL AND e.event_type = ANY(w.events) AND w.created_at <= e.occurred_at
       ORDER BY e.n, w.id
       FOR KEY SHARE OF w
       ON CONFLICT (webhook_id, event_id) DO NOTHING`,
      [
        events.map((e) => e.eventId),
        events.map((e) => e.eventType),
        events.map((e) => e.orderId),
        events.map((e) => (e.refused ? '' : e.body)),
        events.map((e) => e.refused ?? null),
        retryWindowMs,
        events.map((e) => e.occurredAt),
        events.map((e) => e.correlationId ?? null),
      ],
    );
    return rowCount ?? 0;
  }

  /** The webhook's latest deliveries, newest first; undefined when there is no such webhook. */
  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[] | undefined> {
    if (!(await this.findWebhook(webhookId))) return undefined;
    const { rows } = await this.pool.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM ${this.deliveries} WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`,
      [webhookId, limit],
    );
    return rows.map(toDelivery);
  }

  /**
   * Makes a delivery PENDING and due now with a fresh retry window, and enables its webhook again.
   * Undefined when the webhook has no such delivery.
   */
  async retryDelivery(webhookId: string, deliveryId: string, retryWindowMs: number): Promise<WebhookDelivery | undefined> {
    const { rows } = await this.pool.query<DeliveryRow>(
      `WITH enabled AS (
         UPDATE ${this.webhooks} SET disabled_at = NULL, disabled_reason = NULL
         WHERE id = $1 AND EXISTS (SELECT 1 FROM ${this.deliveries} WHERE id = $2 AND webhook_id = $1)
       )
       UPDATE ${this.deliveries} SET status = 'PENDING', next_attempt_at = now(), give_up_at = now() + $3 * interval '1 millisecond',
              locked_until = NULL, locked_by = NULL
       WHERE id = $2 AND webhook_id = $1
       RETURNING ${DELIVERY_COLUMNS}`,
      [webhookId, deliveryId, retryWindowMs],
    );
    return rows[0] ? toDelivery(rows[0]) : undefined;
  }

  /**
   * Claims up to `limit` deliveries that are due, for `leaseMs`: PENDING, of an enabled webhook not
   * in `skipWebhookIds`, not claimed by anyone else, and the oldest PENDING one of its order for its
   * webhook (a later event of an order waits until the earlier one is delivered or given up).
   */
  async claim({
    holder,
    limit,
    leaseMs,
    skipWebhookIds = [],
  }: {
    holder: string;
    limit: number;
    leaseMs: number;
    skipWebhookIds?: string[];
  }): Promise<ClaimedDelivery[]> {
    const { rows } = await this.pool.query<{
      id: string;
      webhook_id: string;
      url: string;
      secret: string;
      event_id: string;
      event_type: string;
      order_id: string;
      correlation_id: string | null;
      body: string;
      attempts: number;
      give_up_at: Date;
    }>(
      `WITH due AS (
         SELECT d.id FROM ${this.deliveries} d
         WHERE d.status = 'PENDING' AND d.next_attempt_at <= now()
           AND (d.locked_until IS NULL OR d.locked_until <= now())
           AND NOT (d.webhook_id = ANY($3::uuid[]))
           AND EXISTS (SELECT 1 FROM ${this.webhooks} w WHERE w.id = d.webhook_id AND w.disabled_at IS NULL)
           AND NOT EXISTS (
             SELECT 1 FROM ${this.deliveries} e
             WHERE e.webhook_id = d.webhook_id AND e.order_id = d.order_id AND e.status = 'PENDING' AND e.id < d.id
           )
         ORDER BY d.next_attempt_at, d.id
         LIMIT $2
         FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE ${this.deliveries} d SET locked_until = now() + $4 * interval '1 millisecond', locked_by = $1
       FROM due, ${this.webhooks} w
       WHERE d.id = due.id AND w.id = d.webhook_id
       RETURNING d.id::text AS id, d.webhook_id::text AS webhook_id, w.url, w.secret, d.event_id::text AS event_id,
                 d.event_type, d.order_id::text AS order_id, d.correlation_id, d.body, d.attempts, d.give_up_at`,
      [holder, limit, skipWebhookIds, leaseMs],
    );
    return rows
      .map((row) => ({
        id: row.id,
        webhookId: row.webhook_id,
        url: row.url,
        secret: row.secret,
        eventId: row.event_id,
        eventType: row.event_type,
        orderId: row.order_id,
        correlationId: row.correlation_id,
        body: row.body,
        attempts: row.attempts,
        giveUpAt: row.give_up_at,
      }))
      .sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)));
  }

  /** Gives claims back untried (due at once for the next claim). */
  async release(ids: string[], holder: string): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      `UPDATE ${this.deliveries} SET locked_until = NULL, locked_by = NULL WHERE id = ANY($1::bigint[]) AND locked_by = $2`,
      [ids, holder],
    );
  }

  /**
   * Records an attempt: `then` says what comes next (DELIVERED; PENDING again at `retryAt`; or
   * FAILED, given up, which disables the webhook with `reason`). Applies only while `holder` still
   * holds the claim (next_attempt_at of a finished delivery is when it finished).
   */
  async recordAttempt(
    id: string,
    holder: string,
    outcome: AttemptOutcome,
    then: { status: 'DELIVERED' } | { status: 'PENDING'; retryAt: Date } | { status: 'FAILED'; reason: string },
  ): Promise<void> {
    await this.pool.query(
      `WITH attempt AS (
         UPDATE ${this.deliveries} SET status = $3::webhook_delivery_status, attempts = attempts + 1, last_attempt_at = now(),
                last_status_code = $4, last_error = $5, next_attempt_at = coalesce($6, now()), locked_until = NULL, locked_by = NULL
         WHERE id = $1 AND locked_by = $2
         RETURNING webhook_id
       )
       UPDATE ${this.webhooks} SET disabled_at = now(), disabled_reason = $7
       WHERE $3 = 'FAILED' AND id = (SELECT webhook_id FROM attempt) AND disabled_at IS NULL`,
      [
        id,
        holder,
        then.status,
        outcome.statusCode,
        outcome.error,
        then.status === 'PENDING' ? then.retryAt : null,
        then.status === 'FAILED' ? then.reason : null,
      ],
    );
  }

  /** Deletes up to `limit` deliveries that finished (DELIVERED or FAILED) more than `olderThanMs` ago; resolves with how many. */
  async deleteFinished(olderThanMs: number, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM ${this.deliveries} WHERE id IN (
         SELECT id FROM ${this.deliveries}
         WHERE status IN ('DELIVERED', 'FAILED') AND next_attempt_at < now() - $1 * interval '1 millisecond'
         LIMIT $2)`,
      [olderThanMs, limit],
    );
    return rowCount ?? 0;
  }
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events as Webhook['events'],
    createdAt: row.created_at.toISOString(),
    disabledAt: row.disabled_at?.toISOString() ?? null,
    disabledReason: row.disabled_reason,
  };
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    orderId: row.order_id,
    status: row.status,
    attempts: row.attempts,
    lastAttemptAt: row.last_attempt_at?.toISOString() ?? null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    nextAttemptAt: row.status === 'PENDING' ? row.next_attempt_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
  };
}
