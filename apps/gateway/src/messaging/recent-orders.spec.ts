import { Headers, Topics, type Order } from '@orderline/contracts';
import { newEnvelope, type FollowedMessage } from '@orderline/messaging';
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
const event = (o: Order, type = 'OrderConfirmed', value?: Buffer): FollowedMessage => ({
  topic: Topics.orderEvents,
  partition: 0,
  offset: o.version,
  key: o.id,
  value: value ?? Buffer.from(JSON.stringify(newEnvelope(type, { order: o }, 'c'))),
  timestamp: now,
  headers: { [Headers.messageType]: type },
});

describe('RecentOrders', () => {
  it('answers an order as its latest event shows it; later events replace it', () => {
    const orders = view();
    expect(orders.find(id(1))).toBeUndefined();
    orders.follow([event(order(1, 1))]);
    expect(orders.find(id(1))).toEqual(order(1, 1));
    orders.follow([event(order(1, 2, 'CANCELLED'), 'OrderCancelled')]);
    expect(orders.find(id(1))).toMatchObject({ status: 'CANCELLED', version: 2 });
  });

  it('a change made through this instance is readable at once, and an older event read after it does not turn it back', () => {
    const orders = view();
    orders.follow([event(order(1, 1))]);
    orders.changed(order(1, 3, 'SHIPPED'));
    orders.follow([event(order(1, 2), 'OrderUpdated')]);
    expect(orders.find(id(1))).toMatchObject({ status: 'SHIPPED', version: 3 });
    orders.follow([event(order(1, 4, 'DELIVERED'), 'OrderDelivered')]);
    expect(orders.find(id(1))).toMatchObject({ status: 'DELIVERED', version: 4 });
  });

  it('ignores what is not an order event: other topics, no version, and an order that does not parse is read from order-management', () => {
    const orders = view();
    orders.follow([
      { ...event(order(1, 1)), topic: Topics.orderCommands },
      event(order(2, 1), 'OrderConfirmed', Buffer.from('not json')),
      event(order(3, 1), 'OrderConfirmed', Buffer.from(JSON.stringify(newEnvelope('OrderConfirmed', { order: { version: 1 } }, 'c')))),
    ]);
    expect(orders.find(id(1))).toBeUndefined();
    expect(orders.find(id(2))).toBeUndefined();
    expect(orders.size().orders).toBe(1); // id 3 has a version, so it was kept until read …
    expect(orders.find(id(3))).toBeUndefined(); // … and dropped when it did not parse
    expect(orders.size()).toEqual({ orders: 0, bytes: 0 });
  });

  it('holds at most maxBytes, dropping the least recently changed first', () => {
    const one = event(order(1, 1)).value?.length ?? 0;
    const orders = view(one * 3 + 10);
    orders.follow([1, 2, 3].map((n) => event(order(n, 1))));
    orders.follow([event(order(1, 2, 'SHIPPED'), 'OrderShipped')]); // order 1 changed again: now the newest
    orders.follow([event(order(4, 1))]);
    expect(orders.find(id(2))).toBeUndefined();
    expect([1, 3, 4].map((n) => orders.find(id(n))?.version)).toEqual([2, 1, 1]);
    expect(orders.size().bytes).toBeLessThanOrEqual(one * 3 + 10);
  });

  it('forgets orders older than maxAgeMs', () => {
    const orders = view(1_000_000, 60_000);
    orders.follow([event(order(1, 1))]);
    now += 61_000;
    orders.follow([event(order(2, 1))]);
    expect(orders.find(id(1))).toBeUndefined();
    expect(orders.find(id(2))).toBeDefined();
  });
});
