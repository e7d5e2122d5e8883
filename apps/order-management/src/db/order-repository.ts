import { randomUUID } from 'node:crypto';
import {
  Topics,
  centsToMoney,
  type CreateOrderPayload,
  type Order,
  type OrderEventType,
  type OrderStatus,
  type RejectionReason,
  type ShippingAddress,
} from '@orderline/contracts';
import { Prisma, isUniqueViolation, type PrismaClient } from '@orderline/db';

type OrderRow = Prisma.OrderGetPayload<{ include: { lineItems: true } }>;

export function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    customerId: row.customerId,
    status: row.status,
    items: [...row.lineItems]
      .sort((a, b) => (a.productId < b.productId ? -1 : 1))
      .map((line) => ({ productId: line.productId, quantity: line.quantity, unitPrice: line.unitPrice?.toFixed(2) ?? null })),
    totalAmount: row.totalAmount?.toFixed(2) ?? null,
    shippingAddress: row.shippingAddress as ShippingAddress,
    trackingCompany: row.trackingCompany,
    trackingNumber: row.trackingNumber,
    rejectionReason: row.rejectionReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What a status change writes besides the status. */
export interface Transition {
  /** the statuses the order may be in for the change to apply (checked in the UPDATE itself) */
  from: OrderStatus[];
  to?: OrderStatus;
  data?: Prisma.OrderUpdateManyMutationInput;
  /** line prices, set on confirmation */
  linePrices?: { productId: string; unitPrice: string }[];
  event: OrderEventType;
  correlationId: string;
}

export interface StoredOrderHeader {
  status: OrderStatus;
  requestHash: string | null;
  created: boolean;
}

export interface OrderPageQuery {
  customerId?: string;
  status?: OrderStatus;
  limit: number;
  cursor?: { createdAt: Date; id: string };
}

/** Orders and their line items, plus the outbox rows that announce their changes. */
export class OrderRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async findById(id: string): Promise<Order | null> {
    const row = await this.prisma.order.findUnique({ where: { id }, include: { lineItems: true } });
    return row ? toOrder(row) : null;
  }

  /**
   * Stores a new order as PENDING. The order id is the natural idempotency key: a redelivered
   * command finds the order already there and gets its current status back (`created: false`).
   */
  async insertPending(command: CreateOrderPayload): Promise<StoredOrderHeader> {
    const select = { status: true, requestHash: true } as const;
    const existing = await this.prisma.order.findUnique({ where: { id: command.orderId }, select });
    if (existing) return { ...existing, created: false };
    try {
      await this.prisma.order.create({
        data: {
          id: command.orderId,
          customerId: command.customerId,
          status: 'PENDING',
          shippingAddress: command.shippingAddress,
          idempotencyKey: command.idempotencyKey ?? null,
          requestHash: command.requestHash ?? null,
          lineItems: {
            create: command.items.map((item) => ({ id: randomUUID(), productId: item.productId, quantity: item.quantity })),
          },
        },
      });
      return { status: 'PENDING', requestHash: command.requestHash ?? null, created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const raced = await this.prisma.order.findUniqueOrThrow({ where: { id: command.orderId }, select });
      return { ...raced, created: false };
    }
  }

  /**
   * Applies a change only if the order is still in one of `from` (so concurrent changes cannot
   * both win), and writes its event to the outbox in the same transaction. Null when the order
   * was not in `from`.
   */
  async transition(orderId: string, change: Transition): Promise<Order | null> {
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.order.updateMany({
        where: { id: orderId, status: { in: change.from } },
        data: { ...change.data, ...(change.to ? { status: change.to } : {}) },
      });
      if (moved.count === 0) return null;
      for (const line of change.linePrices ?? []) {
        await tx.orderLineItem.update({
          where: { orderId_productId: { orderId, productId: line.productId } },
          data: { unitPrice: line.unitPrice },
        });
      }
      const order = toOrder(await tx.order.findUniqueOrThrow({ where: { id: orderId }, include: { lineItems: true } }));
      await tx.outboxEvent.create({
        data: {
          aggregateId: orderId,
          type: change.event,
          // the whole envelope is stored, so a re-published event keeps its messageId
          payload: {
            messageId: randomUUID(),
            correlationId: change.correlationId,
            type: change.event,
            occurredAt: new Date().toISOString(),
            payload: { order },
          },
          headers: { topic: Topics.orderEvents },
        },
      });
      return order;
    });
  }

  confirm(orderId: string, linePrices: { productId: string; unitPrice: string }[], totalCents: bigint, correlationId: string) {
    return this.transition(orderId, {
      from: ['PENDING'],
      to: 'CONFIRMED',
      data: { totalAmount: centsToMoney(totalCents) },
      linePrices,
      event: 'OrderConfirmed',
      correlationId,
    });
  }

  reject(orderId: string, reason: RejectionReason, correlationId: string) {
    return this.transition(orderId, {
      from: ['PENDING'],
      to: 'REJECTED',
      data: { rejectionReason: reason },
      event: 'OrderRejected',
      correlationId,
    });
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
    const rows = await this.prisma.order.findMany({ where: { id: { in: page.map((k) => k.id) } }, include: { lineItems: true } });
    const byId = new Map(rows.map((row) => [row.id, row]));
    const last = page[page.length - 1];
    return {
      items: page.flatMap((k) => (byId.has(k.id) ? [toOrder(byId.get(k.id) as OrderRow)] : [])),
      next: keys.length > query.limit && last ? { createdAt: last.created_at, id: last.id } : null,
    };
  }
}
