import type { Reservation } from '@orderline/contracts';
import { inTransaction, poolOf, type PrismaClient } from '@orderline/db';
import { decideReservations, type OrderToReserve } from '../domain/decide-reservations';

/**
 * Stock reservations for a batch of orders, each all or nothing, in one transaction:
 * - every product the batch names is locked first, in id order (no deadlocks between batches);
 * - then the reservations already made for these orders are read: under those locks no other
 *   transaction can be reserving the same order, so a redelivered request reserves nothing more
 *   (and is answered RESERVATION_MISMATCH if it names other items than the reservation holds);
 * - the orders are decided against the locked stock (domain/decide-reservations.ts), and the
 *   decrements go out as one conditional UPDATE. The table's CHECK (available_quantity >= 0) is
 *   the last guard: stock can never go negative even if this code were wrong.
 * `reserve` runs once per batch of orders, as plain SQL on the pool (see libs/db sql.ts).
 */
export class StockRepository {
  constructor(private readonly prisma: PrismaClient) {}

  reserve(orders: OrderToReserve[]): Promise<Reservation[]> {
    return inTransaction(poolOf(this.prisma), async (db) => {
      const productIds = [...new Set(orders.flatMap((o) => o.items.map((i) => i.productId)))].sort();
      const orderIds = orders.map((o) => o.orderId);
      const { rows: products } = await db.query<{ id: string; unit_price: string; available_quantity: number }>(
        `SELECT id, unit_price::text AS unit_price, available_quantity
         FROM products WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
        [productIds],
      );
      const { rows: existing } = await db.query<{ order_id: string; product_id: string; quantity: number; unit_price: string }>(
        `SELECT order_id::text AS order_id, product_id, quantity, unit_price::text AS unit_price
         FROM stock_reservations WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, product_id`,
        [orderIds],
      );
      const { results, newLines, taken } = decideReservations(
        orders,
        products.map((p) => ({ id: p.id, unitPrice: p.unit_price, available: p.available_quantity })),
        existing.map((r) => ({ orderId: r.order_id, productId: r.product_id, quantity: r.quantity, unitPrice: r.unit_price })),
      );
      if (newLines.length === 0) return results;

      const updated = await db.query(
        `UPDATE products p SET available_quantity = p.available_quantity - v.quantity, updated_at = now()
         FROM unnest($1::text[], $2::int[]) AS v(id, quantity)
         WHERE p.id = v.id AND p.available_quantity >= v.quantity`,
        [[...taken.keys()], [...taken.values()]],
      );
      if (updated.rowCount !== taken.size) throw new Error('stock changed under lock');
      await db.query(
        `INSERT INTO stock_reservations (order_id, product_id, quantity, unit_price)
         SELECT v.order_id, v.product_id, v.quantity, v.unit_price
         FROM json_to_recordset($1::json) AS v(order_id uuid, product_id text, quantity int, unit_price numeric)`,
        [
          JSON.stringify(
            newLines.map((l) => ({ order_id: l.orderId, product_id: l.productId, quantity: l.quantity, unit_price: l.unitPrice })),
          ),
        ],
      );
      return results;
    });
  }

  /**
   * Gives back what is still reserved for an order, in one transaction: the reservations flip to
   * RELEASED (the UPDATE locks them, so two releases cannot both see them RESERVED) and their
   * quantities return to the products. Releasing again finds nothing RESERVED and changes nothing.
   */
  async release(orderId: string): Promise<{ released: { productId: string; quantity: number }[] }> {
    return { released: await this.releaseAll([orderId]) };
  }

  /** `release` for many orders at once; returns what went back, summed per product. */
  releaseAll(orderIds: string[]): Promise<{ productId: string; quantity: number }[]> {
    return inTransaction(poolOf(this.prisma), async (db) => {
      const { rows } = await db.query<{ product_id: string; quantity: number }>(
        `WITH released AS (
           UPDATE stock_reservations SET status = 'RELEASED', updated_at = now()
           WHERE order_id = ANY($1::uuid[]) AND status = 'RESERVED'
           RETURNING product_id, quantity)
         SELECT product_id, sum(quantity)::int AS quantity FROM released GROUP BY product_id ORDER BY product_id`,
        [orderIds],
      );
      if (rows.length > 0) {
        await db.query(
          `UPDATE products p SET available_quantity = p.available_quantity + r.quantity, updated_at = now()
           FROM unnest($1::text[], $2::int[]) AS r(id, quantity)
           WHERE p.id = r.id`,
          [rows.map((r) => r.product_id), rows.map((r) => r.quantity)],
        );
      }
      return rows.map((r) => ({ productId: r.product_id, quantity: r.quantity }));
    });
  }
}
