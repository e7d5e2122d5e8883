import type { OrderLineRequest, Reservation } from '@orderline/contracts';

export interface OrderToReserve {
  orderId: string;
  items: OrderLineRequest[];
}

/** A product as it stands under the lock. */
export interface StockedProduct {
  id: string;
  unitPrice: string;
  available: number;
}

/** One line of a reservation (made before, or decided now). */
export interface ReservedLine {
  orderId: string;
  productId: string;
  quantity: number;
  unitPrice: string;
}

export interface ReservationDecision {
  /** one per order, in the order given */
  results: Reservation[];
  /** the reservation lines to write */
  newLines: ReservedLine[];
  /** how much each product's stock goes down */
  taken: Map<string, number>;
  /** one per new line, in the order the stock was taken: the stock log's RESERVATION rows */
  movements: ReservationMovement[];
}

/** A line's entry in the stock log: its product's stock after it. */
export interface ReservationMovement {
  orderId: string;
  productId: string;
  quantity: number;
  quantityAfter: number;
}

/**
 * Decides a batch of reservations against the stock as it stands (the caller holds the products'
 * locks and has read the reservations already made for these orders):
 * - an order reserved before is a replay: answered with what it holds, but only for the same
 *   items (RESERVATION_MISMATCH otherwise: an order id cannot take over another order's
 *   reservation), and nothing more is taken;
 * - otherwise all or nothing per order: UNKNOWN_PRODUCT (not among `products`: the caller leaves
 *   inactive products out) or OUT_OF_STOCK naming the lines at fault,
 *   else every line reserved at the product's price;
 * - in the order given, so earlier orders get scarce stock first and a rejected order takes
 *   nothing.
 * Pure: the inputs are left as they are.
 */
export function decideReservations(
  orders: OrderToReserve[],
  products: StockedProduct[],
  reservedBefore: ReservedLine[],
): ReservationDecision {
  const available = new Map(products.map((p) => [p.id, p.available]));
  const prices = new Map(products.map((p) => [p.id, p.unitPrice]));
  const before = new Map<string, ReservedLine[]>();
  for (const line of reservedBefore) before.set(line.orderId, [...(before.get(line.orderId) ?? []), line]);

  const results: Reservation[] = [];
  const newLines: ReservedLine[] = [];
  const movements: ReservationMovement[] = [];
  for (const order of orders) {
    const held = before.get(order.orderId);
    if (held) {
      results.push(
        sameItems(held, order.items)
          ? { orderId: order.orderId, outcome: 'RESERVED', lines: held.map(({ orderId: _o, ...line }) => line) }
          : {
              orderId: order.orderId,
              outcome: 'REJECTED',
              reason: 'RESERVATION_MISMATCH',
              productIds: order.items.map((i) => i.productId),
            },
      );
      continue;
    }
    const unknown = order.items.filter((i) => !available.has(i.productId)).map((i) => i.productId);
    if (unknown.length > 0) {
      results.push({ orderId: order.orderId, outcome: 'REJECTED', reason: 'UNKNOWN_PRODUCT', productIds: unknown });
      continue;
    }
    const short = order.items.filter((i) => (available.get(i.productId) as number) < i.quantity);
    if (short.length > 0) {
      results.push({ orderId: order.orderId, outcome: 'REJECTED', reason: 'OUT_OF_STOCK', productIds: short.map((i) => i.productId) });
      continue;
    }
    const lines = order.items.map((item) => {
      const quantityAfter = (available.get(item.productId) as number) - item.quantity;
      available.set(item.productId, quantityAfter);
      movements.push({ orderId: order.orderId, productId: item.productId, quantity: item.quantity, quantityAfter });
      return {
        orderId: order.orderId,
        productId: item.productId,
        quantity: item.quantity,
        unitPrice: prices.get(item.productId) as string,
      };
    });
    newLines.push(...lines);
    results.push({ orderId: order.orderId, outcome: 'RESERVED', lines: lines.map(({ orderId: _o, ...line }) => line) });
  }

  const taken = new Map<string, number>();
  for (const line of newLines) taken.set(line.productId, (taken.get(line.productId) ?? 0) + line.quantity);
  return { results, newLines, taken, movements };
}

/** The same products in the same quantities, in any order. */
function sameItems(lines: { productId: string; quantity: number }[], items: OrderLineRequest[]): boolean {
  if (lines.length !== items.length) return false;
  const quantities = new Map(lines.map((line) => [line.productId, line.quantity]));
  return items.every((item) => quantities.get(item.productId) === item.quantity);
}
