import { customerOfList, customerOfNewOrder, isVisibleTo, mayChangeStatus } from './order-access';
import type { Caller } from './orders';

const customer: Caller = { customerId: 'A', role: 'customer' };
const admin: Caller = { customerId: 'ADMIN01', role: 'admin' };

describe('the access rules on orders', () => {
  it('a customer sees their own orders, an admin all', () => {
    expect(isVisibleTo({ customerId: 'A' }, customer)).toBe(true);
    expect(isVisibleTo({ customerId: 'B' }, customer)).toBe(false);
    expect(isVisibleTo({ customerId: 'B' }, admin)).toBe(true);
  });

  it('a customer orders only for themselves; an admin for the customer named, else themselves', () => {
    expect(customerOfNewOrder(customer, undefined)).toEqual({ granted: 'A' });
    expect(customerOfNewOrder(customer, 'A')).toEqual({ granted: 'A' });
    expect(customerOfNewOrder(customer, 'B')).toEqual({ refused: 'customers may only order for themselves' });
    expect(customerOfNewOrder(admin, 'B')).toEqual({ granted: 'B' });
    expect(customerOfNewOrder(admin, undefined)).toEqual({ granted: 'ADMIN01' });
  });

  it("a customer lists their own orders; an admin one customer's or everyone's", () => {
    expect(customerOfList(customer, undefined)).toEqual({ granted: 'A' });
    expect(customerOfList(customer, 'B')).toEqual({ refused: 'customers may list only their own orders' });
    expect(customerOfList(admin, 'B')).toEqual({ granted: 'B' });
    expect(customerOfList(admin, undefined)).toEqual({ granted: undefined });
  });

  it('only an admin changes the status', () => {
    expect(mayChangeStatus(admin)).toEqual({ granted: true });
    expect(mayChangeStatus(customer)).toEqual({ refused: 'only an admin may change the status' });
  });
});
