import { customerOfList, isVisibleTo, mayChangeStatus, type Caller } from '@orderline/contracts';
import { OrderRuleViolation } from './order-state-machine';

/**
 * Who may do what to an order, enforced here with the system's one set of access rules
 * (libs/contracts order-access.ts, which the gateway applies too where it answers or checks first).
 */

export class OrderNotFound extends Error {
  override name = 'OrderNotFound';
}

/** The order if `caller` may see it: someone else's order is "not found", like an absent one. */
export function visibleOrder<O extends { customerId: string }>(order: O | null, caller: Caller, orderId: string): O {
  if (!order || !isVisibleTo(order, caller)) throw new OrderNotFound(`no order ${orderId}`);
  return order;
}

/** Only an admin moves an order along fulfilment (ship, deliver). */
export function assertMayChangeStatus(caller: Caller): void {
  const decision = mayChangeStatus(caller);
  if ('refused' in decision) throw new OrderRuleViolation('FORBIDDEN', decision.refused);
}

/** The customer whose orders `caller` lists (undefined: everyone's, for an admin naming none). */
export function listedCustomer(caller: Caller, named: string | undefined): string | undefined {
  const decision = customerOfList(caller, named);
  if ('refused' in decision) throw new OrderRuleViolation('FORBIDDEN', decision.refused);
  return decision.granted;
}
