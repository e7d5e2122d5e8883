import { moneyToCents, type CreateOrderPayload, type Customer, type ReserveStockReply } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';

export interface PlaceOrderDeps {
  orders: Pick<OrderRepository, 'insertPending' | 'confirm' | 'reject'>;
  findCustomer(customerId: string): Promise<Customer | null>;
  reserveStock(orderId: string, items: CreateOrderPayload['items']): Promise<ReserveStockReply>;
}

export type PlaceOrderOutcome = 'CONFIRMED' | 'REJECTED' | 'ALREADY_DECIDED';

/**
 * Decides a new order: stored PENDING first (so it can be read at once), then the customer must
 * exist and not be blocked, then inventory must reserve every line. Prices and the total come
 * from inventory, never from the client. Safe to run again for the same command: a decided order
 * is left alone, and inventory answers a repeated reservation with the one it already made.
 */
export async function placeOrder(
  command: CreateOrderPayload,
  correlationId: string,
  deps: PlaceOrderDeps,
): Promise<PlaceOrderOutcome> {
  const status = await deps.orders.insertPending(command);
  if (status !== 'PENDING') return 'ALREADY_DECIDED';
  const { orderId } = command;

  const customer = await deps.findCustomer(command.customerId);
  if (!customer || customer.blocked) {
    const reason = customer ? 'CUSTOMER_BLOCKED' : 'UNKNOWN_CUSTOMER';
    await deps.orders.reject(orderId, reason, { type: 'OrderRejected', correlationId });
    return 'REJECTED';
  }

  const reservation = await deps.reserveStock(orderId, command.items);
  if (reservation.outcome === 'REJECTED') {
    await deps.orders.reject(orderId, reservation.reason, { type: 'OrderRejected', correlationId });
    return 'REJECTED';
  }
  const totalCents = reservation.lines.reduce(
    (sum, line) => sum + moneyToCents(line.unitPrice) * BigInt(line.quantity),
    0n,
  );
  await deps.orders.confirm(orderId, reservation.lines, totalCents, { type: 'OrderConfirmed', correlationId });
  return 'CONFIRMED';
}
