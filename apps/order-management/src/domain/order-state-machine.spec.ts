import { OrderStatus } from '@orderline/contracts';
import { assertAddressChangeable, assertCanMove, assertMayFulfil, canMove, isVisibleTo } from './order-state-machine';

const allowed = new Set([
  'PENDING→CONFIRMED',
  'PENDING→REJECTED',
  'PENDING→CANCELLED',
  'CONFIRMED→SHIPPED',
  'CONFIRMED→CANCELLED',
  'SHIPPED→DELIVERED',
]);

describe('order state machine', () => {
  const statuses = OrderStatus.options;
  const table = statuses.flatMap((from) => statuses.map((to) => [from, to, allowed.has(`${from}→${to}`)] as const));

  it.each(table)('%s → %s allowed: %s', (from, to, expected) => {
    expect(canMove(from, to)).toBe(expected);
    if (expected) expect(() => assertCanMove(from, to)).not.toThrow();
    else expect(() => assertCanMove(from, to)).toThrow(expect.objectContaining({ kind: 'CONFLICT', message: expect.stringContaining(from) }));
  });

  it.each(statuses)('address change while %s', (status) => {
    const changeable = status === 'PENDING' || status === 'CONFIRMED';
    if (changeable) expect(() => assertAddressChangeable(status)).not.toThrow();
    else expect(() => assertAddressChangeable(status)).toThrow(expect.objectContaining({ kind: 'CONFLICT' }));
  });

  it('only admins fulfil; customers see only their own orders', () => {
    expect(() => assertMayFulfil({ customerId: 'A', role: 'admin' })).not.toThrow();
    expect(() => assertMayFulfil({ customerId: 'A', role: 'customer' })).toThrow(expect.objectContaining({ kind: 'FORBIDDEN' }));
    expect(isVisibleTo({ customerId: 'A' }, { customerId: 'A', role: 'customer' })).toBe(true);
    expect(isVisibleTo({ customerId: 'A' }, { customerId: 'B', role: 'customer' })).toBe(false);
    expect(isVisibleTo({ customerId: 'A' }, { customerId: 'B', role: 'admin' })).toBe(true);
  });
});
