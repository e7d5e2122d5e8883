import type { Caller, Order, ShippingAddress } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';
import {
  assertAddressChangeable,
  assertCanMove,
  assertMayFulfil,
  eventForStatus,
  isVisibleTo,
} from './order-state-machine';

export class OrderNotFound extends Error {
  override name = 'OrderNotFound';
}

/** The command was made against a version of the order that is no longer current; nothing changed. */
export class OrderVersionMismatch extends Error {
  override name = 'OrderVersionMismatch';
  constructor(
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(`the order is at version ${currentVersion}, not ${expectedVersion}; read it and try again`);
  }
}

/**
 * A change applies only to the version it was made against. Checked after who may ask (404, 403)
 * and before the lifecycle rules (a stale request is answered as stale, whatever it asks for, as
 * HTTP evaluates If-Match), and again by the UPDATE itself.
 */
export function assertAtVersion(order: Order, expectedVersion: number): void {
  if (order.version !== expectedVersion) throw new OrderVersionMismatch(expectedVersion, order.version);
}

/** The conditional UPDATE found the order at another version than it was just read at: name the current one. */
export async function changedMeanwhile(
  orderId: string,
  expectedVersion: number,
  orders: Pick<OrderRepository, 'findById'>,
): Promise<OrderVersionMismatch> {
  const current = await orders.findById(orderId);
  return new OrderVersionMismatch(expectedVersion, current?.version ?? expectedVersion + 1);
}

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
 * Changes the shipping address (owner or admin, while PENDING/CONFIRMED) and/or moves the order
 * along fulfilment (admin: CONFIRMED → SHIPPED with tracking, SHIPPED → DELIVERED), only while the
 * order is at `expectedVersion`: a late or replayed update cannot overwrite a newer change.
 */
export async function updateOrder(
  command: UpdateOrderCommand,
  correlationId: string,
  orders: Pick<OrderRepository, 'findById' | 'transition'>,
): Promise<Order> {
  const order = await orders.findById(command.orderId);
  if (!order || !isVisibleTo(order, command.caller)) throw new OrderNotFound(`no order ${command.orderId}`);
  if (command.status) assertMayFulfil(command.caller);
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
