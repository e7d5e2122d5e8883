import { randomUUID } from 'node:crypto';
import {
  centsToMoney,
  type CreateOrderPayload,
  type Order,
  type OrderStatus,
  type RejectionReason,
  type ShippingAddress,
} from '@orderline/contracts';
import { isUniqueViolation, type Prisma, type PrismaClient } from '@orderline/db';

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

/** An event written in the same transaction as the change it announces (transactional outbox). */
export interface OutboxMessage {
  type: string;
  correlationId: string;
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
   * command finds the order already there and gets its current status back.
   */
  async insertPending(command: CreateOrderPayload): Promise<OrderStatus> {
    const existing = await this.prisma.order.findUnique({ where: { id: command.orderId }, select: { status: true } });
    if (existing) return existing.status;
    try {
      await this.prisma.order.create({
        data: {
          id: command.orderId,
          customerId: command.customerId,
          status: 'PENDING',
          shippingAddress: command.shippingAddress,
          lineItems: {
            create: command.items.map((item) => ({ id: randomUUID(), productId: item.productId, quantity: item.quantity })),
          },
        },
      });
      return 'PENDING';
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const raced = await this.prisma.order.findUniqueOrThrow({ where: { id: command.orderId }, select: { status: true } });
      return raced.status;
    }
  }

  /** PENDING → CONFIRMED with the prices inventory reserved at, and the OrderConfirmed event. */
  async confirm(
    orderId: string,
    lines: { productId: string; unitPrice: string }[],
    totalCents: bigint,
    event: OutboxMessage,
  ): Promise<Order | null> {
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.order.updateMany({
        where: { id: orderId, status: 'PENDING' },
        data: { status: 'CONFIRMED', totalAmount: centsToMoney(totalCents) },
      });
      if (moved.count === 0) return null;
      for (const line of lines) {
        await tx.orderLineItem.update({
          where: { orderId_productId: { orderId, productId: line.productId } },
          data: { unitPrice: line.unitPrice },
        });
      }
      return this.writeEvent(tx, orderId, event);
    });
  }

  /** PENDING → REJECTED with the reason, and the OrderRejected event. */
  async reject(orderId: string, reason: RejectionReason, event: OutboxMessage): Promise<Order | null> {
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.order.updateMany({
        where: { id: orderId, status: 'PENDING' },
        data: { status: 'REJECTED', rejectionReason: reason },
      });
      if (moved.count === 0) return null;
      return this.writeEvent(tx, orderId, event);
    });
  }

  private async writeEvent(tx: Prisma.TransactionClient, orderId: string, event: OutboxMessage): Promise<Order> {
    const order = toOrder(await tx.order.findUniqueOrThrow({ where: { id: orderId }, include: { lineItems: true } }));
    await tx.outboxEvent.create({
      data: { aggregateId: orderId, type: event.type, payload: { order }, headers: { correlationId: event.correlationId } },
    });
    return order;
  }
}
