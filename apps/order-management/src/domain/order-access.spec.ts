import type { Caller } from '@orderline/contracts';
import { OrderNotFound, assertMayChangeStatus, listedCustomer, visibleOrder } from './order-access';

const customer: Caller = { customerId: 'A', role: 'customer' };
const other: Caller = { customerId: 'B', role: 'customer' };
const admin: Caller = { customerId: 'ADMIN01', role: 'admin' };

describe('who may do what to an order', () => {
  it("a customer sees their own orders; another's or an absent one is not found; an admin sees all", () => {
    const order = { id: 'o1', customerId: 'A' };
    expect(visibleOrder(order, customer, 'o1')).toBe(order);
    expect(visibleOrder(order, admin, 'o1')).toBe(order);
    expect(() => visibleOrder(order, other, 'o1')).toThrow(OrderNotFound);
    expect(() => visibleOrder(null, admin, 'o1')).toThrow(new OrderNotFound('no order o1'));
  });

  it('only an admin changes the status', () => {
    expect(() => assertMayChangeStatus(admin)).not.toThrow();
    expect(() => assertMayChangeStatus(customer)).toThrow(
      expect.objectContaining({ kind: 'FORBIDDEN', message: 'only an admin may change the status' }),
    );
  });

  it("a customer lists their own orders only; an admin everyone's or one customer's", () => {
    expect(listedCustomer(customer, undefined)).toBe('A');
    expect(listedCustomer(customer, 'A')).toBe('A');
    expect(() => listedCustomer(customer, 'B')).toThrow(expect.objectContaining({ kind: 'FORBIDDEN' }));
    expect(listedCustomer(admin, undefined)).toBeUndefined();
    expect(listedCustomer(admin, 'B')).toBe('B');
  });
});
