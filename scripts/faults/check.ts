import type { PrismaClient } from '@orderline/db';
import { waitFor } from '@orderline/testing';

export interface Verdict {
  accepted: number;
  final: number;
  lost: number;
  duplicated: number;
  duplicatedEvents: number;
  stockConserved: boolean;
  stockDetail: string;
  confirmed: number;
  rejected: number;
  secondsToFinal: number;
}

const FINAL = new Set(['CONFIRMED', 'REJECTED', 'CANCELLED', 'SHIPPED', 'DELIVERED']);

/**
 * Waits (bounded) until every accepted order is final, then checks the invariants:
 * lost = accepted but not final; duplicated = orders stored for the scenario's customer beyond
 * the accepted ones, and decision events beyond one per order; stock conservation: for the
 * scenario's products, initial stock = remaining + Σ quantities of confirmed orders, and the
 * reservations held equal those quantities.
 */
export async function verify(
  prisma: PrismaClient,
  {
    accepted,
    customerId,
    products,
    initialStock,
    timeoutMs = 180_000,
  }: {
    accepted: Set<string>;
    customerId: string;
    products: string[];
    initialStock: number;
    timeoutMs?: number;
  },
): Promise<Verdict> {
  const ids = [...accepted];
  const started = Date.now();
  const countFinal = async () =>
    (await prisma.order.findMany({ where: { id: { in: ids } }, select: { status: true } })).filter((o) => FINAL.has(o.status)).length;
  await waitFor(async () => (await countFinal()) === ids.length, {
    timeoutMs,
    intervalMs: 500,
    what: 'every accepted order to be final',
  }).catch(() => undefined);
  const secondsToFinal = (Date.now() - started) / 1000;
  const final = await countFinal();
  const stored = await prisma.order.count({ where: { customerId } });
  const decisionEvents = await prisma.outboxEvent.groupBy({
    by: ['aggregateId'],
    where: { aggregateId: { in: ids }, type: { in: ['OrderConfirmed', 'OrderRejected'] } },
    _count: { _all: true },
  });
  const statuses = await prisma.order.groupBy({ by: ['status'], where: { customerId }, _count: { _all: true } });
  const stock = async () => {
    const [confirmedQuantity, remaining, reserved] = await Promise.all([
      prisma.orderLineItem.aggregate({ where: { productId: { in: products }, order: { status: 'CONFIRMED' } }, _sum: { quantity: true } }),
      prisma.product.aggregate({ where: { id: { in: products } }, _sum: { availableQuantity: true } }),
      prisma.stockReservation.aggregate({ where: { productId: { in: products }, status: 'RESERVED' }, _sum: { quantity: true } }),
    ]);
    return { sold: confirmedQuantity._sum.quantity ?? 0, left: remaining._sum.availableQuantity ?? 0, held: reserved._sum.quantity ?? 0 };
  };
  // a rejected order's reservation is released asynchronously (a command through the outbox): wait for it, bounded
  const conserved = ({ sold, left, held }: { sold: number; left: number; held: number }) => initialStock === left + sold && held === sold;
  await waitFor(async () => conserved(await stock()), { timeoutMs: 30_000, intervalMs: 500, what: 'stock to add up' }).catch(
    () => undefined,
  );
  const { sold, left, held } = await stock();
  return {
    accepted: ids.length,
    final,
    lost: ids.length - final,
    duplicated: Math.max(0, stored - ids.length),
    duplicatedEvents: decisionEvents.filter((e) => e._count._all > 1).length,
    stockConserved: conserved({ sold, left, held }),
    stockDetail: `${initialStock} = ${left} left + ${sold} confirmed (reserved ${held})`,
    confirmed: statuses.find((s) => s.status === 'CONFIRMED')?._count._all ?? 0,
    rejected: statuses.find((s) => s.status === 'REJECTED')?._count._all ?? 0,
    secondsToFinal,
  };
}
