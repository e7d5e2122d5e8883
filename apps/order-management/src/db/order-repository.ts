import { randomUUID } from 'node:crypto';
import {
  OrderEvents,
  ReleaseReservations,
  timeOrderedUuid,
  type MessageContract,
  type Order,
  type OrderEventType,
  type OrderStatus,
  type ShippingAddress,
} from '@orderline/contracts';
import { Prisma, inTransaction, isPermanentDataError, poolOf, traceTransaction, type PrismaClient, type SqlClient } from '@orderline/db';
import { activeTraceHeaders, type TraceHeaders } from '@orderline/tracing';
import type { DecidedOrder } from '../domain/place-orders';

type OrderRow = Prisma.OrderGetPayload<{ include: { lineItems: true } }>;

export function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    customerId: row.customerId,
    status: row.status,
    items: [...row.lineItems]
      .sort((a, b) => (a.productId < b.productId ? -1 : 1))
      .map((line) => ({
        productId: line.productId,
        quantity: line.quantity,
        unitPrice: line.unitPrice?.toFixed(2) ?? null,
      })),
    totalAmount: row.totalAmount?.toFixed(2) ?? null,
    shippingAddress: row.shippingAddress as ShippingAddress,
    trackingCompany: row.trackingCompany,
    trackingNumber: row.trackingNumber,
    rejectionReason: row.rejectionReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}

/** What a status change writes besides the status. */
export interface Transition {
  /** the statuses the order may be in for the change to apply (checked in the UPDATE itself) */
  from: OrderStatus[];
  /** when set, the change applies only while the order is at this version (also checked in the UPDATE) */
  expectedVersion?: number;
  to?: OrderStatus;
  data?: Prisma.OrderUpdateManyMutationInput;
  event: OrderEventType;
  correlationId: string;
}

export interface OrderPageQuery {
  customerId?: string;
  status?: OrderStatus;
  limit: number;
  cursor?: { createdAt: Date; id: string };
}

/**
 * The outbox row for an event: the whole envelope is stored, so a re-published event keeps its
 * messageId and consumers can drop the copy.
 */
function outboxRow(orderId: string, type: OrderEventType, correlationId: string, order: Order, trace?: TraceHeaders) {
  return outboxMessage(OrderEvents[type], orderId, correlationId, { order }, trace);
}

/**
 * An outbox row for any message (as its contract's version): the relay publishes it to the
 * contract's topic with `key`, continuing the trace in `headers` (`trace`: the order's, else the
 * context the row is written in).
 */
function outboxMessage(
  contract: MessageContract,
  key: string,
  correlationId: string,
  payload: Prisma.InputJsonValue,
  trace: TraceHeaders | undefined = activeTraceHeaders(),
) {
  const { type, version, topic } = contract;
  return {
    aggregateId: key,
    type,
    payload: {
      messageId: randomUUID(),
      correlationId,
      type,
      version,
      occurredAt: new Date().toISOString(),
      payload,
    },
    headers: { topic, ...trace },
  };
}

/** The command that gives back whatever inventory still holds for these orders. */
function releaseRow(orderIds: string[], correlationId: string) {
  return outboxMessage(ReleaseReservations, orderIds[0], correlationId, { orderIds });
}

/** The order as the API shows it, built from a decision before it is read back. */
function decidedOrderView(order: DecidedOrder, now: Date): Order {
  const prices = new Map(order.status === 'CONFIRMED' ? order.lines.map((l) => [l.productId, l.unitPrice]) : []);
  return {
    id: order.command.orderId,
    customerId: order.command.customerId,
    status: order.status,
    items: [...order.command.items]
      .sort((a, b) => (a.productId < b.productId ? -1 : 1))
      .map((item) => ({
        productId: item.productId,
        quantity: item.quantity,
        unitPrice: prices.get(item.productId) ?? null,
      })),
    totalAmount: order.status === 'CONFIRMED' ? order.totalAmount : null,
    shippingAddress: order.command.shippingAddress,
    trackingCompany: null,
    trackingNumber: null,
    rejectionReason: order.status === 'REJECTED' ? order.reason : null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    version: 1, // the column's default: insertDecided stores new orders at version 1
  };
}

/** Orders and their line items, plus the outbox rows that announce their changes. */
export class OrderRepository {
  /** @param eventsCommitted called after a transaction that wrote outbox rows has committed */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly eventsCommitted: () => void = () => undefined,
  ) {}

  async findById(id: string): Promise<Order | null> {
    const row = await this.prisma.order.findUnique({
      where: { id },
      include: { lineItems: true },
    });
    return row ? toOrder(row) : null;
  }

  /** The request hash of each order among `ids` that exists already. */
  async findExisting(ids: string[]): Promise<Map<string, { requestHash: string | null }>> {
    const { rows } = await poolOf(this.prisma).query<{ id: string; request_hash: string | null }>(
      'SELECT id::text AS id, request_hash FROM orders WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return new Map(rows.map((row) => [row.id, { requestHash: row.request_hash }]));
  }

  /**
   * Open orders (PENDING or CONFIRMED) of each customer among `customerIds`, counted up to
   * `countUpTo` (enough to compare with a limit, and never a long scan), less those among
   * `batchIds` that are still PENDING (the batch being decided, if it was stored before).
   * One statement: an index range on (customer_id, status, …) per customer, plus primary-key
   * look-ups for the batch.
   */
  async countOpenOrders(customerIds: string[], batchIds: string[], countUpTo: number): Promise<Map<string, number>> {
    const { rows } = await poolOf(this.prisma).query<{ customer_id: string; open: number }>(
      `WITH open_orders AS (
         SELECT c.customer_id,
                (SELECT count(*) FROM (SELECT 1 FROM orders o
                                        WHERE o.customer_id = c.customer_id AND o.status IN ('PENDING', 'CONFIRMED')
                                        LIMIT $3) capped) AS n
           FROM unnest($1::varchar[]) AS c(customer_id)
       ), batch_pending AS (
         SELECT o.customer_id, count(*) AS n
           FROM unnest($2::uuid[]) AS batch(id) JOIN orders o ON o.id = batch.id
          WHERE o.status = 'PENDING'
          GROUP BY o.customer_id
       )
       SELECT o.customer_id, (o.n - COALESCE(b.n, 0))::int AS open
         FROM open_orders o LEFT JOIN batch_pending b USING (customer_id)`,
      [customerIds, batchIds, countUpTo + batchIds.length],
    );
    return new Map(rows.map((row) => [row.customer_id, row.open]));
  }

  /**
   * Writes decided orders, their line items and their events (OrderConfirmed / OrderRejected) in
   * one transaction, with one ReleaseReservations command for the orders among `release` that it
   * inserted. An order id (or customer + Idempotency-Key) that exists already is skipped
   * (ON CONFLICT DO NOTHING), so a command handled twice, even by two instances at once, stores
   * one order and one event.
   *
   * Set-based: each statement takes its rows as one JSON array (`json_to_recordset`), so a few
   * statements write any batch size, and the values cross as one JSON text (serialised natively)
   * rather than as one array literal per column. Plain SQL on the pool: see libs/db sql.ts.
   */
  async insertDecided(orders: DecidedOrder[], release: string[] = []): Promise<Set<string>> {
    const storedIds = await inTransaction(poolOf(this.prisma), (db) => this.insertOrders(db, orders, release, true));
    if (storedIds.size > 0) this.eventsCommitted();
    return storedIds;
  }

  /**
   * Stores orders that could not be decided as REJECTED / PROCESSING_FAILED, with their event and a
   * release of anything reserved for them; orders that exist already are left as they are. If the
   * database refuses their line items too, the orders are stored without them (the client can
   * still read that the order failed). Returns the ids it inserted.
   */
  async insertFailed(requests: { command: DecidedOrder['command']; correlationId: string }[]): Promise<Set<string>> {
    const failed: DecidedOrder[] = requests.map((r) => ({ ...r, status: 'REJECTED', reason: 'PROCESSING_FAILED' }));
    const ids = failed.map((o) => o.command.orderId);
    const pool = poolOf(this.prisma);
    const storedIds = await inTransaction(pool, (db) => this.insertOrders(db, failed, ids, true)).catch((error: unknown) => {
      if (!isPermanentDataError(error)) throw error;
      return inTransaction(pool, (db) => this.insertOrders(db, failed, ids, false));
    });
    if (storedIds.size > 0) this.eventsCommitted();
    return storedIds;
  }

  /** Releases what is reserved for the orders among `ids` that are stored REJECTED (through the outbox). */
  async releaseIfRejected(ids: string[], correlationId: string): Promise<void> {
    const wrote = await inTransaction(poolOf(this.prisma), async (db) => {
      const { rows } = await db.query<{ id: string }>(
        `SELECT id::text AS id FROM orders WHERE id = ANY($1::uuid[]) AND status = 'REJECTED'`,
        [ids],
      );
      if (rows.length === 0) return false;
      await this.insertOutbox(
        db,
        [
          releaseRow(
            rows.map((row) => row.id),
            correlationId,
          ),
        ],
        new Date(),
      );
      return true;
    });
    if (wrote) this.eventsCommitted();
  }

  private async insertOrders(db: SqlClient, orders: DecidedOrder[], release: string[], withLines: boolean): Promise<Set<string>> {
    const now = new Date();
    const orderRows = orders.map((o) => ({
      id: o.command.orderId,
      customer_id: o.command.customerId,
      status: o.status,
      rejection_reason: o.status === 'REJECTED' ? o.reason : null,
      total_amount: o.status === 'CONFIRMED' ? o.totalAmount : null,
      shipping_address: o.command.shippingAddress,
      idempotency_key: o.command.idempotencyKey ?? null,
      request_hash: o.command.requestHash ?? null,
    }));
    const inserted = await db.query<{ id: string }>(
      `INSERT INTO orders (id, customer_id, status, rejection_reason, total_amount, shipping_address,
                           idempotency_key, request_hash, created_at, updated_at)
       SELECT v.id, v.customer_id, v.status::order_status, v.rejection_reason::rejection_reason, v.total_amount,
              v.shipping_address, v.idempotency_key, v.request_hash, $2, $2
       FROM json_to_recordset($1::json) AS v(id uuid, customer_id text, status text, rejection_reason text,
            total_amount numeric, shipping_address jsonb, idempotency_key text, request_hash text)
       ON CONFLICT DO NOTHING
       RETURNING id::text AS id`,
      [JSON.stringify(orderRows), now],
    );
    const ids = new Set(inserted.rows.map((row) => row.id));
    const stored = orders.filter((order) => ids.has(order.command.orderId));
    if (stored.length === 0) return ids;

    if (withLines) {
      const lines = stored.flatMap((order) => {
        const prices = new Map(order.status === 'CONFIRMED' ? order.lines.map((l) => [l.productId, l.unitPrice]) : []);
        return order.command.items.map((item) => ({
          id: timeOrderedUuid(now.getTime()),
          order_id: order.command.orderId,
          product_id: item.productId,
          quantity: item.quantity,
          unit_price: prices.get(item.productId) ?? null,
        }));
      });
      await db.query(
        `INSERT INTO order_line_items (id, order_id, product_id, quantity, unit_price, created_at, updated_at)
         SELECT v.id, v.order_id, v.product_id, v.quantity, v.unit_price, $2, $2
         FROM json_to_recordset($1::json) AS v(id uuid, order_id uuid, product_id text, quantity int, unit_price numeric)`,
        [JSON.stringify(lines), now],
      );
    }

    const rows = stored.map((order) =>
      outboxRow(
        order.command.orderId,
        order.status === 'CONFIRMED' ? 'OrderConfirmed' : 'OrderRejected',
        order.correlationId,
        decidedOrderView(withLines ? order : { ...order, command: { ...order.command, items: [] } }, now),
        order.trace,
      ),
    );
    const toRelease = release.filter((id) => ids.has(id));
    if (toRelease.length > 0) {
      rows.push(releaseRow(toRelease, stored.find((o) => o.command.orderId === toRelease[0])?.correlationId ?? 'release'));
    }
    await this.insertOutbox(db, rows, now);
    return ids;
  }

  private async insertOutbox(db: SqlClient, rows: ReturnType<typeof outboxMessage>[], now: Date): Promise<void> {
    await db.query(
      `INSERT INTO outbox_events (aggregate_id, type, payload, headers, created_at)
       SELECT v.aggregate_id, v.type, v.payload, v.headers, $2
       FROM json_to_recordset($1::json) AS v(aggregate_id uuid, type text, payload jsonb, headers jsonb)`,
      [JSON.stringify(rows.map((e) => ({ aggregate_id: e.aggregateId, type: e.type, payload: e.payload, headers: e.headers }))), now],
    );
  }

  /**
   * Applies a change only if the order is still in one of `from` (and at `expectedVersion`, when
   * given), so concurrent changes cannot both win and a stale one changes nothing; the same UPDATE
   * increments the version. Writes its event to the outbox in the same transaction. Null when the
   * order was not in `from` or not at `expectedVersion`.
   */
  async transition(orderId: string, change: Transition): Promise<Order | null> {
    const order = await traceTransaction(() =>
      this.prisma.$transaction(async (tx) => {
        const moved = await tx.order.updateMany({
          where: {
            id: orderId,
            status: { in: change.from },
            ...(change.expectedVersion === undefined ? {} : { version: change.expectedVersion }),
          },
          data: { ...change.data, ...(change.to ? { status: change.to } : {}), version: { increment: 1 } },
        });
        if (moved.count === 0) return null;
        const order = toOrder(
          await tx.order.findUniqueOrThrow({
            where: { id: orderId },
            include: { lineItems: true },
          }),
        );
        await tx.outboxEvent.create({
          data: outboxRow(orderId, change.event, change.correlationId, order),
        });
        return order;
      }),
    );
    if (order) this.eventsCommitted();
    return order;
  }

  /**
   * One page, newest first, by keyset on (created_at, id): stable while orders are added (new
   * orders sort before the first page, so no row is skipped or repeated). The row comparison
   * `(created_at, id) < (…)` is an index condition on (customer_id|status, created_at DESC, id DESC),
   * so a deep page costs the same as the first.
   */
  async listPage(query: OrderPageQuery): Promise<{ items: Order[]; next: { createdAt: Date; id: string } | null }> {
    const conditions: Prisma.Sql[] = [];
    if (query.customerId) conditions.push(Prisma.sql`customer_id = ${query.customerId}`);
    if (query.status) conditions.push(Prisma.sql`status = ${query.status}::order_status`);
    if (query.cursor) conditions.push(Prisma.sql`(created_at, id) < (${query.cursor.createdAt}, ${query.cursor.id}::uuid)`);
    const where = conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
    const keys = await this.prisma.$queryRaw<{ id: string; created_at: Date }[]>`
      SELECT id, created_at FROM orders ${where} ORDER BY created_at DESC, id DESC LIMIT ${query.limit + 1}`;
    const page = keys.slice(0, query.limit);
    const rows = await this.prisma.order.findMany({
      where: { id: { in: page.map((k) => k.id) } },
      include: { lineItems: true },
    });
    const byId = new Map(rows.map((row) => [row.id, row]));
    const last = page[page.length - 1];
    return {
      items: page.flatMap((k) => (byId.has(k.id) ? [toOrder(byId.get(k.id) as OrderRow)] : [])),
      next: keys.length > query.limit && last ? { createdAt: last.created_at, id: last.id } : null,
    };
  }
}
