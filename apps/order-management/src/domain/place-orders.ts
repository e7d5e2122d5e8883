import {
  centsToMoney,
  moneyToCents,
  type CreateOrderPayload,
  type Customer,
  type RejectionReason,
  type Reservation,
} from '@orderline/contracts';
import type { TraceHeaders } from '@orderline/tracing';

/** What to store for a new order: decided already, so it is written once. */
export type DecidedOrder =
  | {
      command: CreateOrderPayload;
      correlationId: string;
      trace?: TraceHeaders;
      status: 'CONFIRMED';
      lines: { productId: string; quantity: number; unitPrice: string }[];
      totalAmount: string;
    }
  | { command: CreateOrderPayload; correlationId: string; trace?: TraceHeaders; status: 'REJECTED'; reason: RejectionReason };

/** What inventory is asked to reserve for one order. */
export interface OrderToReserve {
  orderId: string;
  items: CreateOrderPayload['items'];
}

export interface PlaceOrdersDeps {
  /** the request hash of each order among `ids` that exists already */
  findExisting(ids: string[]): Promise<Map<string, { requestHash: string | null }>>;
  findCustomers(ids: string[]): Promise<Customer[]>;
  /** open (PENDING or CONFIRMED) orders of each of `customerIds`, leaving out those among `orderIds` still PENDING (this batch) */
  countOpenOrders(customerIds: string[], orderIds: string[]): Promise<Map<string, number>>;
  /** open orders a customer may have: a new one beyond them is REJECTED TOO_MANY_OPEN_ORDERS, before any reservation */
  maxOpenOrdersPerCustomer: number;
  reserveStock(orders: OrderToReserve[]): Promise<Reservation[]>;
  /**
   * stores the decided orders with their events, and a release of whatever is reserved for the
   * orders in `release` among those it inserted (in the same transaction); returns the ids it inserted
   */
  insertDecided(orders: DecidedOrder[], release: string[]): Promise<Set<string>>;
  /** asks inventory to release the reservations of the orders among `ids` that are stored REJECTED */
  releaseIfRejected(ids: string[]): Promise<void>;
}

/**
 * Rejections after which a reservation may exist although the order does not need it: the
 * customer check comes first, but a redelivered command may have reserved on its first delivery
 * (before its customer was blocked); a processing failure may come after the reservation.
 * (OUT_OF_STOCK and UNKNOWN_PRODUCT come from inventory, which then reserved nothing.)
 */
const MAY_HOLD_RESERVATION: ReadonlySet<RejectionReason> = new Set([
  'CUSTOMER_BLOCKED',
  'UNKNOWN_CUSTOMER',
  'TOO_MANY_OPEN_ORDERS',
  'PROCESSING_FAILED',
]);

/** The largest total the orders table holds (numeric(12,2)), in cents. */
export const MAX_TOTAL_CENTS = 10n ** 12n - 1n;

/** What happened to one CreateOrder. */
export type PlaceOrderResult =
  | { outcome: 'CONFIRMED'; created: true }
  | { outcome: 'REJECTED'; reason: RejectionReason; created: true }
  /** the order existed already (a redelivery, or the same Idempotency-Key with the same request) */
  | { outcome: 'EXISTING'; created: false }
  /** the same order id (Idempotency-Key) came with a different request */
  | { outcome: 'CONFLICT'; created: false };

export interface PlaceOrderRequest {
  command: CreateOrderPayload;
  correlationId: string;
  /** the order's trace (its command's), which its event continues */
  trace?: TraceHeaders;
}

/**
 * Decides a batch of new orders with one look-up per dependency: which orders exist already, the
 * customers (they must exist and not be blocked) and their open orders (a customer at the limit
 * gets no more), all at once; then inventory reserves every
 * line of the remaining orders, in the order they came, all or nothing per order. Prices and
 * totals come from inventory, never from the client. Every order is written once, already
 * decided, with its event.
 *
 * Idempotent: an order id that exists already is not decided again (a redelivered command), and
 * inventory answers a repeated reservation with the one it already made (if for the same items).
 * No stock leaks: an order rejected after a reservation may have been made for it (see
 * MAY_HOLD_RESERVATION) is stored with a release of that reservation, and an order whose total
 * the database cannot hold is rejected PROCESSING_FAILED. Returns one result per request, in the
 * same order.
 */
export async function placeOrders(requests: PlaceOrderRequest[], deps: PlaceOrdersDeps): Promise<PlaceOrderResult[]> {
  const firstById = new Map<string, PlaceOrderRequest>();
  for (const request of requests) {
    if (!firstById.has(request.command.orderId)) firstById.set(request.command.orderId, request);
  }
  // the look-ups at once: the customers of every order, even those that turn out to exist already
  // (a redelivery is rare; a second round trip per batch is not)
  const customerIds = [...new Set([...firstById.values()].map((r) => r.command.customerId))];
  const [existing, customerList, openOrders] = await Promise.all([
    deps.findExisting([...firstById.keys()]),
    deps.findCustomers(customerIds),
    deps.countOpenOrders(customerIds, [...firstById.keys()]),
  ]);
  const fresh = [...firstById.values()].filter((r) => !existing.has(r.command.orderId));
  const customers = new Map<string, Customer>(customerList.map((c) => [c.id, c]));
  const decided: DecidedOrder[] = [];
  const toReserve: PlaceOrderRequest[] = [];
  for (const request of fresh) {
    const customer = customers.get(request.command.customerId);
    const open = openOrders.get(request.command.customerId) ?? 0;
    if (!customer || customer.blocked) {
      decided.push({ ...request, status: 'REJECTED', reason: customer ? 'CUSTOMER_BLOCKED' : 'UNKNOWN_CUSTOMER' });
    } else if (open >= deps.maxOpenOrdersPerCustomer) {
      decided.push({ ...request, status: 'REJECTED', reason: 'TOO_MANY_OPEN_ORDERS' });
    } else {
      openOrders.set(request.command.customerId, open + 1); // the batch's own orders count too, in the order they came
      toReserve.push(request);
    }
  }
  if (toReserve.length > 0) {
    const reservations = new Map(
      (await deps.reserveStock(toReserve.map((r) => ({ orderId: r.command.orderId, items: r.command.items })))).map((r) => [r.orderId, r]),
    );
    for (const request of toReserve) {
      const reservation = reservations.get(request.command.orderId);
      if (!reservation) throw new Error(`inventory did not answer for order ${request.command.orderId}`);
      decided.push(decide(request, reservation));
    }
  }
  const release = decided.filter((o) => o.status === 'REJECTED' && MAY_HOLD_RESERVATION.has(o.reason)).map((o) => o.command.orderId);
  const inserted = decided.length ? await deps.insertDecided(decided, release) : new Set<string>();
  // Decided by someone else meanwhile (a redelivery handled by two instances at once): if they
  // rejected it, the reservation this one made after their release must go too.
  const reservedElsewhereDecided = decided.filter((o) => o.status === 'CONFIRMED' && !inserted.has(o.command.orderId));
  if (reservedElsewhereDecided.length > 0) await deps.releaseIfRejected(reservedElsewhereDecided.map((o) => o.command.orderId));
  const decisionOf = new Map(decided.map((order) => [order.command.orderId, order]));

  return requests.map((request) => {
    const id = request.command.orderId;
    const first = firstById.get(id) as PlaceOrderRequest;
    const knownHash = existing.has(id) ? existing.get(id)?.requestHash : (first.command.requestHash ?? null);
    if (knownHash !== (request.command.requestHash ?? null)) return { outcome: 'CONFLICT', created: false };
    if (request !== first || !inserted.has(id)) return { outcome: 'EXISTING', created: false };
    const order = decisionOf.get(id) as DecidedOrder;
    return order.status === 'CONFIRMED'
      ? { outcome: 'CONFIRMED', created: true }
      : { outcome: 'REJECTED', reason: order.reason, created: true };
  });
}

/** An order as its reservation decides it. */
function decide(request: PlaceOrderRequest, reservation: Reservation): DecidedOrder {
  if (reservation.outcome === 'REJECTED') {
    // another reservation under this order id (other items): nothing consistent can be confirmed
    const reason = reservation.reason === 'RESERVATION_MISMATCH' ? 'PROCESSING_FAILED' : reservation.reason;
    return { ...request, status: 'REJECTED', reason };
  }
  const total = totalCentsOf(reservation.lines);
  if (total > MAX_TOTAL_CENTS) return { ...request, status: 'REJECTED', reason: 'PROCESSING_FAILED' };
  return { ...request, status: 'CONFIRMED', lines: reservation.lines, totalAmount: centsToMoney(total) };
}

function totalCentsOf(lines: { quantity: number; unitPrice: string }[]): bigint {
  return lines.reduce((sum, line) => sum + moneyToCents(line.unitPrice) * BigInt(line.quantity), 0n);
}

/** Σ unit price × quantity, exactly, in cents. */
export function totalOf(lines: { quantity: number; unitPrice: string }[]): string {
  return centsToMoney(totalCentsOf(lines));
}
