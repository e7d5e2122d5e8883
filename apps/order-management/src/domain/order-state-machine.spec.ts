import { OrderStatus } from '@orderline/contracts';
import { assertAddressChangeable, assertCanMove, canMove, statusesThatCanBecome } from './order-state-machine';

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
    else
      expect(() => assertCanMove(from, to)).toThrow(expect.objectContaining({ kind: 'CONFLICT', message: expect.stringContaining(from) }));
  });

  it('names the statuses a move starts from, from the same table (what a cancel may find)', () => {
    expect(statusesThatCanBecome('CANCELLED')).toEqual(['PENDING', 'CONFIRMED']);
    expect(statusesThatCanBecome('DELIVERED')).toEqual(['SHIPPED']);
    expect(statusesThatCanBecome('PENDING')).toEqual([]);
  });

  it.each(statuses)('address change while %s: only until the order ships', (status) => {
    const changeable = status === 'PENDING' || status === 'CONFIRMED';
    if (changeable) expect(() => assertAddressChangeable(status)).not.toThrow();
    else expect(() => assertAddressChangeable(status)).toThrow(expect.objectContaining({ kind: 'CONFLICT' }));
  });
});
