import type { Caller, Order } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';
import { isVisibleTo } from './order-state-machine';
import { OrderNotFound } from './update-order';

/** One order as its caller may see it: someone else's order is "not found", like an absent one. */
export async function findOrder(orderId: string, caller: Caller, orders: Pick<OrderRepository, 'findById'>): Promise<Order> {
  const order = await orders.findById(orderId);
  if (!order || !isVisibleTo(order, caller)) throw new OrderNotFound(`no order ${orderId}`);
  return order;
}
