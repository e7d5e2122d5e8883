import { countThatFit, orderListCursor, type Caller, type Order, type OrderStatus } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';
import { listedCustomer } from './order-access';

export class InvalidCursor extends Error {
  override name = 'InvalidCursor';
}

/** The cursor is opaque to clients: base64url of the last row's (createdAt, id) (orderListCursor). */
export function encodeCursor(position: { createdAt: Date; id: string }): string {
  return orderListCursor({ createdAt: position.createdAt.toISOString(), id: position.id });
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    // exactly what encodeCursor writes: an ISO timestamp of a sane year and a canonical uuid
    if (typeof createdAt !== 'string' || !/^(19|20)\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(createdAt)) throw new Error();
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new Error();
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || date.toISOString() !== createdAt) throw new Error();
    return { createdAt: date, id };
  } catch {
    throw new InvalidCursor('the cursor is not one this API gave out');
  }
}

/** Room in a page for everything but its items: the braces, `nextCursor` and its value. */
const PAGE_FRAME_BYTES = 256;

/**
 * A customer lists their own orders; an admin lists everyone's, optionally one customer's. A page
 * holds at most `limit` orders and at most `maxBytes` of JSON: large orders make shorter pages,
 * with a `nextCursor` that continues right after the last one.
 */
export async function listOrders(
  query: { caller: Caller; customerId?: string; status?: OrderStatus; limit: number; cursor?: string },
  orders: Pick<OrderRepository, 'listPage'>,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<{ items: Order[]; nextCursor: string | null }> {
  const page = await orders.listPage({
    customerId: listedCustomer(query.caller, query.customerId),
    status: query.status,
    limit: query.limit,
    cursor: query.cursor ? decodeCursor(query.cursor) : undefined,
  });
  const fit = countThatFit(page.items, maxBytes - PAGE_FRAME_BYTES);
  if (fit < page.items.length) {
    const last = page.items[fit - 1];
    return { items: page.items.slice(0, fit), nextCursor: encodeCursor({ createdAt: new Date(last.createdAt), id: last.id }) };
  }
  return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
}
