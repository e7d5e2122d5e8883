import type { Order } from '@orderline/contracts';
import { RecentOrders } from './recent-orders';

let now = 1_000_000;
const view = (maxBytes = 1_000_000, maxAgeMs = 600_000) => new RecentOrders({ maxBytes, maxAgeMs, now: () => now });
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const order = (n: number, version: number, status: Order['status'] = 'CONFIRMED'): Order => ({
  id: id(n),
  customerId: 'CUST01',
  status,
  items: [{ productId: 'P1', quantity: 2, unitPrice: '5.00' }],
  totalAmount: '10.00',
  shippingAddress: { line1: '1 Test Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
  trackingCompany: null,
  trackingNumber: null,
  rejectionReason: null,
  createdAt: new Date(now).toISOString(),
  updatedAt: new Date(now).toISOString(),
  version,
});

describe('RecentOrders', () => {
  it('answers an order as it last changed; later versions replace it', () => {
    const orders = view();
    expect(orders.find(id(1))).toBeUndefined();
    orders.changed(order(1, 1));
    expect(orders.find(id(1))).toEqual(order(1, 1));
    orders.changed(order(1, 2, 'CANCELLED'));
    expect(orders.find(id(1))).toMatchObject({ status: 'CANCELLED', version: 2 });
  });

  it('never turns the clock back: an older version read after a newer one (a reply before its event) is ignored', () => {
    const orders = view();
    orders.changed(order(1, 3, 'SHIPPED'));
    orders.changed(order(1, 2));
    orders.changed(order(1, 3));
    expect(orders.find(id(1))).toMatchObject({ status: 'SHIPPED', version: 3 });
  });

  it('holds at most maxBytes, dropping the least recently changed first', () => {
    // an entry takes its JSON (two bytes a character) and 200 for the map's entry around it; room for three
    const one = 2 * Math.max(JSON.stringify(order(1, 1)).length, JSON.stringify(order(1, 2, 'SHIPPED')).length) + 200;
    const orders = view(one * 3);
    [1, 2, 3].forEach((n) => orders.changed(order(n, 1)));
    orders.changed(order(1, 2, 'SHIPPED')); // order 1 changed again: now the newest
    orders.changed(order(4, 1));
    expect(orders.find(id(2))).toBeUndefined();
    expect([1, 3, 4].map((n) => orders.find(id(n))?.version)).toEqual([2, 1, 1]);
    expect(orders.size().orders).toBe(3);
    expect(orders.size().bytes).toBeLessThanOrEqual(one * 3);
  });

  it('an order read from orders.events unchecked is checked against the contract when first read: one that breaks it is forgotten', () => {
    const orders = view();
    orders.changed({ id: id(1), version: 1, json: JSON.stringify(order(1, 1)), checked: false });
    orders.changed({ id: id(2), version: 1, json: JSON.stringify({ ...order(2, 1), totalAmount: 'lots' }), checked: false });
    expect(orders.find(id(1))).toEqual(order(1, 1));
    expect(orders.find(id(2))).toBeUndefined(); // order-management answers for it
    expect(orders.size().orders).toBe(1);
  });

  it('forgets orders older than maxAgeMs', () => {
    const orders = view(1_000_000, 60_000);
    orders.changed(order(1, 1));
    now += 61_000;
    orders.changed(order(2, 1));
    expect(orders.find(id(1))).toBeUndefined();
    expect(orders.find(id(2))).toBeDefined();
  });
});
