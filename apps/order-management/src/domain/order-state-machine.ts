import type { OrderEventType, OrderStatus } from '@orderline/contracts';

/**
 * The order lifecycle:
 *   PENDING → CONFIRMED | REJECTED | CANCELLED
 *   CONFIRMED → SHIPPED | CANCELLED
 *   SHIPPED → DELIVERED
 * REJECTED, CANCELLED and DELIVERED are final. Every rule about which moves are legal is derived
 * from this table.
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

/** The statuses an order may move to `to` from (what a conditional UPDATE names as its `from`). */
export function statusesThatCanBecome(to: OrderStatus): OrderStatus[] {
  return (Object.keys(transitions) as OrderStatus[]).filter((from) => canMove(from, to));
}

/** Whether `status` can still lead to `target`, in any number of moves. */
function canReach(status: OrderStatus, target: OrderStatus): boolean {
  return transitions[status].some((next) => next === target || canReach(next, target));
}

/** The shipping address may change until the order ships: while it can still become SHIPPED. */
export function assertAddressChangeable(status: OrderStatus): void {
  if (!canReach(status, 'SHIPPED')) {
    throw new OrderRuleViolation('CONFLICT', `the shipping address of an order that is ${status} cannot change`);
  }
}
