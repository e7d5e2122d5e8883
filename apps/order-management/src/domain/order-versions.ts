import type { Order } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';

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
