import type { Caller, Order } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';
import { visibleOrder } from './order-access';

/** One order as its caller may see it: someone else's order is "not found", like an absent one. */
export async function findOrder(orderId: string, caller: Caller, orders: Pick<OrderRepository, 'findById'>): Promise<Order> {
  return visibleOrder(await orders.findById(orderId), caller, orderId);
}
