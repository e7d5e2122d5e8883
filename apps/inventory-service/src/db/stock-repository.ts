import type { OrderLineRequest, ReserveStockReply } from '@orderline/contracts';
import type { PrismaClient } from '@orderline/db';

interface LockedProduct {
  id: string;
  unit_price: string;
  available_quantity: number;
}

/**
 * Stock reservations, all or nothing per order, in one transaction:
 * - an advisory lock on the order id serialises reservations for one order, and a reservation
 *   that already exists is returned as it is (a redelivered request reserves nothing more);
 * - the products are locked in id order (no deadlocks between orders sharing products), checked,
 *   and decremented by a conditional UPDATE; the table's CHECK (available_quantity >= 0) is the
 *   last guard, so stock can never go negative even if this code were wrong.
 */
export class StockRepository {
  constructor(private readonly prisma: PrismaClient) {}

  reserve(orderId: string, items: OrderLineRequest[]): Promise<ReserveStockReply> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${orderId}, 0))`;
      const existing = await tx.$queryRaw<{ product_id: string; quantity: number; unit_price: string }[]>`
        SELECT product_id, quantity, unit_price::text AS unit_price
        FROM stock_reservations WHERE order_id = ${orderId} ORDER BY product_id`;
      if (existing.length > 0) {
        return {
          outcome: 'RESERVED' as const,
          lines: existing.map((r) => ({ productId: r.product_id, quantity: r.quantity, unitPrice: r.unit_price })),
        };
      }

      const ids = items.map((item) => item.productId);
      const quantities = items.map((item) => item.quantity);
      const products = await tx.$queryRaw<LockedProduct[]>`
        SELECT id, unit_price::text AS unit_price, available_quantity
        FROM products WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE`;
      const byId = new Map(products.map((p) => [p.id, p]));
      const unknown = ids.filter((id) => !byId.has(id));
      if (unknown.length > 0) return { outcome: 'REJECTED' as const, reason: 'UNKNOWN_PRODUCT' as const, productIds: unknown };
      const short = items.filter((item) => (byId.get(item.productId) as LockedProduct).available_quantity < item.quantity);
      if (short.length > 0) {
        return { outcome: 'REJECTED' as const, reason: 'OUT_OF_STOCK' as const, productIds: short.map((i) => i.productId) };
      }

      const updated = await tx.$executeRaw`
        UPDATE products p SET available_quantity = p.available_quantity - v.quantity, updated_at = now()
        FROM unnest(${ids}::text[], ${quantities}::int[]) AS v(id, quantity)
        WHERE p.id = v.id AND p.available_quantity >= v.quantity`;
      if (updated !== items.length) throw new Error(`stock changed under lock for order ${orderId}`);
      const prices = ids.map((id) => (byId.get(id) as LockedProduct).unit_price);
      await tx.$executeRaw`
        INSERT INTO stock_reservations (order_id, product_id, quantity, unit_price)
        SELECT ${orderId}, v.id, v.quantity, v.unit_price::numeric
        FROM unnest(${ids}::text[], ${quantities}::int[], ${prices}::text[]) AS v(id, quantity, unit_price)`;
      return {
        outcome: 'RESERVED' as const,
        lines: items.map((item) => ({ ...item, unitPrice: (byId.get(item.productId) as LockedProduct).unit_price })),
      };
    });
  }

  /**
   * Gives back what is still reserved for an order, in one transaction: the reservations flip to
   * RELEASED and their quantities return to the products. Releasing again finds nothing RESERVED
   * and changes nothing.
   */
  release(orderId: string): Promise<{ released: { productId: string; quantity: number }[] }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${orderId}, 0))`;
      const released = await tx.$queryRaw<{ product_id: string; quantity: number }[]>`
        UPDATE stock_reservations SET status = 'RELEASED', updated_at = now()
        WHERE order_id = ${orderId}::uuid AND status = 'RESERVED'
        RETURNING product_id, quantity`;
      if (released.length > 0) {
        await tx.$executeRaw`
          UPDATE products p SET available_quantity = p.available_quantity + r.quantity, updated_at = now()
          FROM unnest(${released.map((r) => r.product_id)}::text[], ${released.map((r) => r.quantity)}::int[]) AS r(id, quantity)
          WHERE p.id = r.id`;
      }
      return { released: released.map((r) => ({ productId: r.product_id, quantity: r.quantity })) };
    });
  }
}
