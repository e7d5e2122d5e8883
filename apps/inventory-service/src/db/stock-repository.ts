import { LowStock, type Reservation } from '@orderline/contracts';
import { inTransaction, poolOf, type PrismaClient, type SqlClient } from '@orderline/db';
import { decideReservations, type OrderToReserve } from '../domain/decide-reservations';
import { fellToLowStock, thresholdOf } from '../domain/stock-levels';
import { inventoryEvent, insertInventoryEvents, type InventoryEvent } from './inventory-outbox';

export interface StockRepositoryOptions {
  /** LowStock threshold of products without one of their own (LOW_STOCK_THRESHOLD) */
  lowStockThreshold: number;
  /** called after a transaction that wrote outbox rows has committed (wakes the relay) */
  eventsCommitted?: () => void;
}

/**
 * Stock reservations for a batch of orders, each all or nothing, in one transaction:
 * - every product the batch names is locked first, in id order (no deadlocks between batches);
 * - then the reservations already made for these orders are read: under those locks no other
 *   transaction can be reserving the same order, so a redelivered request reserves nothing more
 *   (and is answered RESERVATION_MISMATCH if it names other items than the reservation holds);
 * - the orders are decided against the locked stock (domain/decide-reservations.ts), and the
 *   decrements go out as one conditional UPDATE. The table's CHECK (available_quantity >= 0) is
 *   the last guard: stock can never go negative even if this code were wrong.
 * - the reservation rows and their stock_movements rows (one per line, with the stock after it)
 *   go in one statement, so the movement log adds up to the stock at every commit; a product
 *   that falls to its LowStock threshold gets a LowStock event in the same transaction (outbox).
 * Prices are read under the same locks: an order is charged the price at the moment its stock
 * is taken, so a price change applies exactly to the orders decided after it commits.
 * Inactive products are refused as UNKNOWN_PRODUCT (a replay of an order that holds one is still
 * answered with its reservation).
 * `reserve` runs once per batch of orders, as plain SQL on the pool (see libs/db sql.ts).
 */
export class StockRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: StockRepositoryOptions,
  ) {}

  async reserve(orders: OrderToReserve[], correlationId = 'reserve-stock'): Promise<Reservation[]> {
    const { results, events } = await inTransaction(poolOf(this.prisma), async (db) => {
      const productIds = [...new Set(orders.flatMap((o) => o.items.map((i) => i.productId)))].sort();
      const orderIds = orders.map((o) => o.orderId);
      const { rows: locked } = await db.query<{
        id: string;
        unit_price: string;
        available_quantity: number;
        active: boolean;
        low_stock_threshold: number | null;
      }>(
        `SELECT id, unit_price::text AS unit_price, available_quantity, active, low_stock_threshold
         FROM products WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
        [productIds],
      );
      const products = locked.filter((p) => p.active);
      const { rows: existing } = await db.query<{ order_id: string; product_id: string; quantity: number; unit_price: string }>(
        `SELECT order_id::text AS order_id, product_id, quantity, unit_price::text AS unit_price
         FROM stock_reservations WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, product_id`,
        [orderIds],
      );
      const { results, newLines, taken, movements } = decideReservations(
        orders,
        products.map((p) => ({ id: p.id, unitPrice: p.unit_price, available: p.available_quantity })),
        existing.map((r) => ({ orderId: r.order_id, productId: r.product_id, quantity: r.quantity, unitPrice: r.unit_price })),
      );
      if (newLines.length === 0) return { results, events: [] };

      const updated = await db.query(
        `UPDATE products p SET available_quantity = p.available_quantity - v.quantity, updated_at = now()
         FROM unnest($1::text[], $2::int[]) AS v(id, quantity)
         WHERE p.id = v.id AND p.available_quantity >= v.quantity`,
        [[...taken.keys()], [...taken.values()]],
      );
      if (updated.rowCount !== taken.size) throw new Error('stock changed under lock');
      // one statement for both: the reservations, and their log rows in the order the stock was taken
      await db.query(
        `WITH reserved AS (
           INSERT INTO stock_reservations (order_id, product_id, quantity, unit_price)
           SELECT v.order_id, v.product_id, v.quantity, v.unit_price
           FROM json_to_recordset($1::json) AS v(order_id uuid, product_id text, quantity int, unit_price numeric))
         INSERT INTO stock_movements (product_id, kind, delta, quantity_after, order_id)
         SELECT m.product_id, 'RESERVATION', -m.quantity, m.quantity_after, m.order_id
         FROM json_to_recordset($2::json) AS m(n int, order_id uuid, product_id text, quantity int, quantity_after int) ORDER BY m.n`,
        [
          JSON.stringify(
            newLines.map((l) => ({ order_id: l.orderId, product_id: l.productId, quantity: l.quantity, unit_price: l.unitPrice })),
          ),
          JSON.stringify(
            movements.map((m, n) => ({
              n,
              order_id: m.orderId,
              product_id: m.productId,
              quantity: m.quantity,
              quantity_after: m.quantityAfter,
            })),
          ),
        ],
      );
      const events: InventoryEvent[] = [];
      for (const product of products) {
        const take = taken.get(product.id);
        if (take === undefined) continue;
        const threshold = thresholdOf(product.low_stock_threshold, this.options.lowStockThreshold);
        const after = product.available_quantity - take;
        if (fellToLowStock(product.available_quantity, after, threshold)) {
          events.push(inventoryEvent(LowStock, product.id, { productId: product.id, availableQuantity: after, threshold }, correlationId));
        }
      }
      await insertInventoryEvents(db, events);
      return { results, events };
    });
    if (events.length > 0) this.options.eventsCommitted?.();
    return results;
  }

  /**
   * Gives back what is still reserved for an order, in one transaction: the reservations flip to
   * RELEASED (the UPDATE locks them, so two releases cannot both see them RESERVED) and their
   * quantities return to the products. Releasing again finds nothing RESERVED and changes nothing.
   */
  async release(orderId: string): Promise<{ released: { productId: string; quantity: number }[] }> {
    return { released: await this.releaseAll([orderId]) };
  }

  /**
   * `release` for many orders at once; returns what went back, summed per product. Each released
   * line gets its RELEASE row in the stock log, in the statement that gives its stock back.
   */
  releaseAll(orderIds: string[]): Promise<{ productId: string; quantity: number }[]> {
    return inTransaction(poolOf(this.prisma), async (db) => {
      const { rows } = await db.query<{ order_id: string; product_id: string; quantity: number }>(
        `WITH released AS (
           UPDATE stock_reservations SET status = 'RELEASED', updated_at = now()
           WHERE order_id = ANY($1::uuid[]) AND status = 'RESERVED'
           RETURNING order_id, product_id, quantity)
         SELECT order_id::text AS order_id, product_id, quantity FROM released ORDER BY product_id, order_id`,
        [orderIds],
      );
      if (rows.length === 0) return [];
      const totals = new Map<string, number>();
      for (const row of rows) totals.set(row.product_id, (totals.get(row.product_id) ?? 0) + row.quantity);
      await giveBack(db, rows, totals);
      return [...totals].map(([productId, quantity]) => ({ productId, quantity }));
    });
  }
}

/**
 * Returns released lines to their products and logs each line: the UPDATE answers each product's
 * stock after all of its lines, and a line's stock after it is that less the lines after it
 * (`running`: the product's lines up to and including this one, in the order they are logged).
 */
async function giveBack(db: SqlClient, lines: { order_id: string; product_id: string; quantity: number }[], totals: Map<string, number>) {
  const running = new Map<string, number>();
  const logged = lines.map((line, n) => {
    const upTo = (running.get(line.product_id) ?? 0) + line.quantity;
    running.set(line.product_id, upTo);
    return { n, order_id: line.order_id, product_id: line.product_id, quantity: line.quantity, running: upTo };
  });
  await db.query(
    `WITH returned AS (
       UPDATE products p SET available_quantity = p.available_quantity + r.quantity, updated_at = now()
       FROM unnest($1::text[], $2::int[]) AS r(id, quantity)
       WHERE p.id = r.id
       RETURNING p.id, p.available_quantity, r.quantity AS total)
     INSERT INTO stock_movements (product_id, kind, delta, quantity_after, order_id)
     SELECT m.product_id, 'RELEASE', m.quantity, returned.available_quantity - returned.total + m.running, m.order_id
     FROM json_to_recordset($3::json) AS m(n int, order_id uuid, product_id text, quantity int, running int)
     JOIN returned ON returned.id = m.product_id
     ORDER BY m.n`,
    [[...totals.keys()], [...totals.values()], JSON.stringify(logged)],
  );
}
