import { moneyToCents, type CreateOrderPayload, type Customer, type ReserveStockReply } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';

export interface PlaceOrderDeps {
  orders: Pick<OrderRepository, 'confirm' | 'reject'>;
  findCustomer(customerId: string): Promise<Customer | null>;
  reserveStock(orderId: string, items: CreateOrderPayload['items']): Promise<ReserveStockReply>;
  releaseStock(orderId: string): Promise<unknown>;
}

export type PlaceOrderOutcome = 'CONFIRMED' | 'REJECTED' | 'ALREADY_DECIDED';

/**
 * Decides an order stored PENDING: the customer must exist and not be blocked, then inventory
 * must reserve every line. Prices and the total come from inventory, never from the client.
 * Safe to run again for the same order: only a PENDING order moves, and inventory answers a
 * repeated reservation with the one it already made. If the order left PENDING meanwhile (it
 * was cancelled), the reservation just made is given back.
 */
export async function decideOrder(
  command: CreateOrderPayload,
  correlationId: string,
  deps: PlaceOrderDeps,
): Promise<PlaceOrderOutcome> {
  const { orderId } = command;
  const customer = await deps.findCustomer(command.customerId);
  if (!customer || customer.blocked) {
    const reason = customer ? 'CUSTOMER_BLOCKED' : 'UNKNOWN_CUSTOMER';
    return (await deps.orders.reject(orderId, reason, correlationId)) ? 'REJECTED' : 'ALREADY_DECIDED';
  }

  const reservation = await deps.reserveStock(orderId, command.items);
  if (reservation.outcome === 'REJECTED') {
    return (await deps.orders.reject(orderId, reservation.reason, correlationId)) ? 'REJECTED' : 'ALREADY_DECIDED';
  }
  const totalCents = reservation.lines.reduce(
    (sum, line) => sum + moneyToCents(line.unitPrice) * BigInt(line.quantity),
    0n,
  );
  const confirmed = await deps.orders.confirm(orderId, reservation.lines, totalCents, correlationId);
  if (confirmed) return 'CONFIRMED';
  await deps.releaseStock(orderId);
  return 'ALREADY_DECIDED';
}
