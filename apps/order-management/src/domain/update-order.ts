import type { Caller, Order, ShippingAddress } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';
import {
  OrderRuleViolation,
  assertAddressChangeable,
  assertCanMove,
  assertMayFulfil,
  eventForStatus,
  isVisibleTo,
} from './order-state-machine';

export class OrderNotFound extends Error {
  override name = 'OrderNotFound';
}

export interface UpdateOrderCommand {
  orderId: string;
  caller: Caller;
  shippingAddress?: ShippingAddress;
  status?: 'SHIPPED' | 'DELIVERED';
  tracking?: { trackingCompany: string; trackingNumber: string };
}

/**
 * Changes the shipping address (owner or admin, while PENDING/CONFIRMED) and/or moves the order
 * along fulfilment (admin: CONFIRMED → SHIPPED with tracking, SHIPPED → DELIVERED).
 */
export async function updateOrder(
  command: UpdateOrderCommand,
  correlationId: string,
  orders: Pick<OrderRepository, 'findById' | 'transition'>,
): Promise<Order> {
  const order = await orders.findById(command.orderId);
  if (!order || !isVisibleTo(order, command.caller)) throw new OrderNotFound(`no order ${command.orderId}`);
  if (command.status) {
    assertMayFulfil(command.caller);
    assertCanMove(order.status, command.status);
  }
  if (command.shippingAddress) assertAddressChangeable(order.status);

  const updated = await orders.transition(order.id, {
    from: [order.status],
    to: command.status,
    data: {
      ...(command.shippingAddress ? { shippingAddress: command.shippingAddress } : {}),
      ...(command.tracking ?? {}),
    },
    event: command.status ? eventForStatus[command.status] : 'OrderUpdated',
    correlationId,
  });
  if (!updated) throw new OrderRuleViolation('CONFLICT', 'the order changed meanwhile; read it and try again');
  return updated;
}
