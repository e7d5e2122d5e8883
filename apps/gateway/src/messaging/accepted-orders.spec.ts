import { CreateOrder, Headers, Topics, type CreateOrderPayload } from '@orderline/contracts';
import type { FollowedMessage } from '@orderline/messaging';
import { newEnvelope } from '@orderline/messaging';
import { AcceptedOrders } from './accepted-orders';

let now = 1_000_000;
const view = (maxBytes = 1_000_000, maxAgeMs = 600_000) => new AcceptedOrders({ maxBytes, maxAgeMs, now: () => now });
const command = (orderId: string, customerId = 'CUST01'): CreateOrderPayload => ({
  orderId,
  customerId,
  items: [
    { productId: 'P2', quantity: 1 },
    { productId: 'P1', quantity: 3 },
  ],
  shippingAddress: { line1: '1 Test Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
});
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const created = (n: number, partition: number, offset: number, at = now): FollowedMessage => ({
  topic: Topics.orderCommands,
  partition,
  offset,
  key: id(n),
  value: Buffer.from(JSON.stringify(newEnvelope(CreateOrder.type, command(id(n)), 'c'))),
  timestamp: at,
  headers: { [Headers.messageType]: CreateOrder.type },
});
const decided = (n: number): FollowedMessage => ({
  topic: Topics.orderEvents,
  partition: 0,
  offset: n,
  key: id(n),
  value: Buffer.from('{}'),
  timestamp: now,
  headers: { [Headers.messageType]: 'OrderConfirmed' },
});

describe('AcceptedOrders', () => {
  it('answers a followed CreateOrder as PENDING until an event of that order arrives', () => {
    const orders = view();
    orders.follow([created(1, 0, 10)]);
    expect(orders.find(id(1))).toMatchObject({
      id: id(1),
      customerId: 'CUST01',
      status: 'PENDING',
      version: 0,
      totalAmount: null,
      items: [
        { productId: 'P1', quantity: 3, unitPrice: null },
        { productId: 'P2', quantity: 1, unitPrice: null },
      ],
    });
    orders.follow([decided(1)]);
    expect(orders.find(id(1))).toBeUndefined();
  });

  it('never makes a stored order PENDING again: a CreateOrder read after its event (a retry) is ignored', () => {
    const orders = view();
    orders.follow([created(1, 0, 10), decided(1), created(1, 0, 11)]);
    expect(orders.find(id(1))).toBeUndefined();
    orders.follow([decided(2), created(2, 3, 1)]); // the event's partition was read first
    expect(orders.find(id(2))).toBeUndefined();
  });

  it('holds orders accepted here at once, and ignores what is not a CreateOrder', () => {
    const orders = view();
    orders.accepted(command(id(2)));
    expect(orders.find(id(2))?.status).toBe('PENDING');
    orders.follow([{ ...created(3, 0, 1), value: Buffer.from('not json') }]);
    expect(orders.find(id(3))).toBeUndefined();
    orders.follow([{ ...created(4, 0, 2), headers: { [Headers.messageType]: 'GetOrder' } }]);
    expect(orders.find(id(4))).toBeUndefined();
  });

  it('keeps within its byte budget and age, dropping the oldest first', () => {
    const orders = view(1_000, 60_000);
    orders.follow([created(1, 0, 1), created(2, 0, 2), created(3, 0, 3), created(4, 0, 4), created(5, 0, 5)]);
    expect(orders.size().bytes).toBeLessThanOrEqual(1_000);
    expect(orders.find(id(1))).toBeUndefined();
    expect(orders.find(id(5))).toBeDefined();
    now += 61_000;
    orders.follow([created(6, 0, 6)]);
    expect(orders.size().orders).toBe(1);
    now -= 61_000;
  });

  it('knows how far behind the decisions are from order-management committed offsets, in time', () => {
    const orders = view();
    orders.follow([created(1, 0, 100, now - 9_000), created(2, 0, 101, now - 6_000), created(3, 1, 50, now - 2_000)]);
    orders.decisionsAt(
      new Map([
        [0, 100],
        [1, 50],
      ]),
    );
    expect(orders.decisionLagMs()).toBe(9_000); // offset 100 of partition 0 is the oldest undecided
    orders.decisionsAt(
      new Map([
        [0, 101],
        [1, 50],
      ]),
    );
    expect(orders.decisionLagMs()).toBe(6_000);
    orders.decisionsAt(
      new Map([
        [0, 102],
        [1, 51],
      ]),
    );
    expect(orders.decisionLagMs()).toBe(0); // everything read is decided
  });

  it('errs long when messages share a mark (one per 100 ms)', () => {
    const orders = view();
    orders.follow([created(1, 0, 1, now - 5_000), created(2, 0, 2, now - 4_950), created(3, 0, 3, now - 4_000)]);
    orders.decisionsAt(new Map([[0, 2]]));
    expect(orders.decisionLagMs()).toBe(5_000);
  });

  describe('expected wait of an order accepted now', () => {
    /** `count` commands on partition 0 from `offset`, produced `ageMs` ago and after, 1 ms apart */
    const backlog = (from: number, count: number, ageMs: number) =>
      Array.from({ length: count }, (_, i) => created(10_000 + from + i, 0, from + i, now - ageMs + i));

    it('is the undecided orders over the rate order-management has decided at while busy, when that is longer than the oldest wait', () => {
      const orders = view();
      const start = now;
      // 3,000 commands in the last second (3× what it decides); it decides 1,000/s from offset 0
      orders.follow(backlog(0, 3_000, 1_500));
      for (let t = 0; t <= 1_500; t += 250) {
        now = start + t;
        orders.decisionsAt(new Map([[0, t]])); // one order a ms
      }
      // the oldest undecided (offset 1,500) was produced at start - 1,500 + 1,500: waited 1.5 s
      expect(orders.decisionLagMs()).toBe(1_500);
      // 1,500 undecided at 1 a ms: 1.5 s; more read since: 4,500 at 1 a ms
      expect(orders.expectedWaitMs()).toBe(1_500);
      orders.follow(backlog(3_000, 3_000, 0));
      expect(orders.expectedWaitMs()).toBe(4_500);
      now = start;
    });

    it('is the oldest wait alone while order-management is not known to be busy (an idle system decides slowly: a burst must not look like a backlog)', () => {
      const orders = view();
      const start = now;
      orders.decisionsAt(new Map([[0, 0]]));
      now = start + 1_000;
      orders.decisionsAt(new Map([[0, 1]])); // one order in a second: the demand, not the capacity
      orders.follow(backlog(1, 200, 300)); // a burst of 200, 0.3 s ago
      now = start + 1_250;
      orders.decisionsAt(new Map([[0, 2]]));
      expect(orders.decisionLagMs()).toBeLessThan(1_000);
      expect(orders.expectedWaitMs()).toBe(orders.decisionLagMs());
      now = start;
    });

    it('is the oldest wait alone when nothing was decided meanwhile (order-management stopped)', () => {
      const orders = view();
      const start = now;
      orders.follow(backlog(0, 100, 8_000));
      for (let t = 0; t <= 3_000; t += 250) {
        now = start + t;
        orders.decisionsAt(new Map([[0, 0]]));
      }
      expect(orders.expectedWaitMs()).toBe(11_000);
      expect(orders.expectedWaitMs()).toBe(orders.decisionLagMs());
      now = start;
    });
  });
});
