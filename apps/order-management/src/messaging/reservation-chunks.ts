import { MAX_ORDERS_PER_REQUEST, chunkByBytes, payloadBudget } from '@orderline/contracts';

/**
 * Splits the orders of a batch into ReserveStock requests of at most MAX_ORDERS_PER_REQUEST orders
 * whose request takes at most half a message (the reply repeats each line with its price, which
 * at most doubles it), so neither request nor reply can exceed `maxMessageBytes` whatever the
 * product ids hold. An order is never split; order is kept: asked one after the other, earlier
 * orders still get scarce stock first.
 */
export function reservationChunks<T>(orders: T[], maxMessageBytes: number): T[][] {
  return chunkByBytes(orders, Math.floor(payloadBudget(maxMessageBytes) / 2), MAX_ORDERS_PER_REQUEST);
}
