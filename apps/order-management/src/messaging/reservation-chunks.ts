import { MAX_LINES_PER_RESERVATION, MAX_ORDERS_PER_REQUEST } from '@orderline/contracts';

/**
 * Splits the orders of a batch into ReserveStock requests of at most MAX_ORDERS_PER_REQUEST orders
 * and MAX_LINES_PER_RESERVATION lines (an order is never split), keeping their order: asked one
 * after the other, earlier orders still get scarce stock first.
 */
export function reservationChunks<T extends { items: unknown[] }>(orders: T[]): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let lines = 0;
  for (const order of orders) {
    if (chunk.length > 0 && (chunk.length >= MAX_ORDERS_PER_REQUEST || lines + order.items.length > MAX_LINES_PER_RESERVATION)) {
      chunks.push(chunk);
      chunk = [];
      lines = 0;
    }
    chunk.push(order);
    lines += order.items.length;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
