import type { Caller, OrderEventType, OrderStatus } from '@orderline/contracts';

/**
 * The order lifecycle:
 *   PENDING → CONFIRMED | REJECTED | CANCELLED
 *   CONFIRMED → SHIPPED | CANCELLED
 *   SHIPPED → DELIVERED
 * REJECTED, CANCELLED and DELIVERED are final.
 */
const transitions: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['CONFIRMED', 'REJECTED', 'CANCELLED'],
  CONFIRMED: ['SHIPPED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  REJECTED: [],
  CANCELLED: [],
};

/** The event that announces reaching a status. */
export const eventForStatus: Record<Exclude<OrderStatus, 'PENDING'>, OrderEventType> = {
  CONFIRMED: 'OrderConfirmed',
  REJECTED: 'OrderRejected',
  CANCELLED: 'OrderCancelled',
  SHIPPED: 'OrderShipped',
  DELIVERED: 'OrderDelivered',
};

/** A change the rules do not allow: answered 409 (conflict) or 403 (forbidden). */
export class OrderRuleViolation extends Error {
  override name = 'OrderRuleViolation';
  constructor(
    readonly kind: 'CONFLICT' | 'FORBIDDEN',
    message: string,
  ) {
    super(message);
  }
}

export function canMove(from: OrderStatus, to: OrderStatus): boolean {
  return transitions[from].includes(to);
}

export function assertCanMove(from: OrderStatus, to: OrderStatus): void {
  if (!canMove(from, to)) throw new OrderRuleViolation('CONFLICT', `an order that is ${from} cannot become ${to}`);
}

/** The shipping address may change until the order ships. */
export function assertAddressChangeable(status: OrderStatus): void {
  if (status !== 'PENDING' && status !== 'CONFIRMED') {
    throw new OrderRuleViolation('CONFLICT', `the shipping address of an order that is ${status} cannot change`);
  }
}

/** Only admins move orders along fulfilment (ship, deliver). */
export function assertMayFulfil(caller: Caller): void {
  if (caller.role !== 'admin') throw new OrderRuleViolation('FORBIDDEN', 'only an admin may change the status');
}

/** Who sees which order is one rule for the whole system (the gateway serves PENDING orders itself). */
export { isVisibleTo } from '@orderline/contracts';
