import type { Caller } from './orders';

/**
 * Who may do what to orders: one rule each, for the whole system. order-management's domain
 * enforces them (apps/order-management/src/domain/order-access.ts); the gateway applies the same
 * functions where it answers without order-management (the PENDING orders it follows itself) or
 * where checking first saves a round trip.
 */

/** What a caller is granted, or why it is refused. */
export type AccessDecision<T> = { granted: T } | { refused: string };

/** A customer sees and changes only their own orders (others' are "not found"); an admin sees all. */
export function isVisibleTo(order: { customerId: string }, caller: Caller): boolean {
  return caller.role === 'admin' || order.customerId === caller.customerId;
}

/** The customer a new order is for: a customer orders only for themselves; an admin for the customer named (themselves when none is). */
export function customerOfNewOrder(caller: Caller, named: string | undefined): AccessDecision<string> {
  if (caller.role === 'admin') return { granted: named ?? caller.customerId };
  if (named !== undefined && named !== caller.customerId) return { refused: 'customers may only order for themselves' };
  return { granted: caller.customerId };
}

/** Whose orders a list holds: a customer's own; an admin's choice (everyone's when no customer is named). */
export function customerOfList(caller: Caller, named: string | undefined): AccessDecision<string | undefined> {
  if (caller.role === 'admin') return { granted: named };
  if (named !== undefined && named !== caller.customerId) return { refused: 'customers may list only their own orders' };
  return { granted: caller.customerId };
}

/** Only an admin moves orders along fulfilment (ship, deliver); anyone who sees an order may change its address. */
export function mayChangeStatus(caller: Caller): AccessDecision<true> {
  return caller.role === 'admin' ? { granted: true } : { refused: 'only an admin may change the status' };
}
