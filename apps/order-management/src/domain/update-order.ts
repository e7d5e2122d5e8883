import type { Caller, Order, ShippingAddress } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';
import { assertMayChangeStatus, visibleOrder } from './order-access';
import { assertAddressChangeable, assertCanMove, eventForStatus } from './order-state-machine';
import { assertAtVersion, changedMeanwhile } from './order-versions';

export interface UpdateOrderCommand {
  orderId: string;
  caller: Caller;
  /** the version the change was made against */
  expectedVersion: number;
  shippingAddress?: ShippingAddress;
  status?: 'SHIPPED' | 'DELIVERED';
  tracking?: { trackingCompany: string; trackingNumber: string };
}

/**
 * Changes the shipping address (owner or admin, until the order ships) and/or moves the order
 * along fulfilment (admin: CONFIRMED → SHIPPED with tracking, SHIPPED → DELIVERED), only while the
 * order is at `expectedVersion`: a late or replayed update cannot overwrite a newer change.
 */
export async function updateOrder(
  command: UpdateOrderCommand,
  correlationId: string,
  orders: Pick<OrderRepository, 'findById' | 'transition'>,
): Promise<Order> {
  const order = visibleOrder(await orders.findById(command.orderId), command.caller, command.orderId);
  if (command.status) assertMayChangeStatus(command.caller);
  assertAtVersion(order, command.expectedVersion);
  if (command.status) assertCanMove(order.status, command.status);
  if (command.shippingAddress) assertAddressChangeable(order.status);

  const updated = await orders.transition(order.id, {
    from: [order.status],
    expectedVersion: command.expectedVersion,
    to: command.status,
    data: {
      ...(command.shippingAddress ? { shippingAddress: command.shippingAddress } : {}),
      ...(command.tracking ?? {}),
    },
    event: command.status ? eventForStatus[command.status] : 'OrderUpdated',
    correlationId,
  });
  if (!updated) throw await changedMeanwhile(order.id, command.expectedVersion, orders);
  return updated;
}
