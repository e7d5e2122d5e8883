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

/** where the log ends, for readings whose end does not matter */
const ends = new Map([
  [0, 1_000],
  [1, 1_000],
]);

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
      ends,
    );
    expect(orders.decisionLagMs()).toBe(9_000); // offset 100 of partition 0 is the oldest undecided
    orders.decisionsAt(
      new Map([
        [0, 101],
        [1, 50],
      ]),
      ends,
    );
    expect(orders.decisionLagMs()).toBe(6_000);
    orders.decisionsAt(
      new Map([
        [0, 102],
        [1, 51],
      ]),
      ends,
    );
    expect(orders.decisionLagMs()).toBe(0); // everything read is decided
  });

  it('errs long when messages share a mark (one per 100 ms)', () => {
    const orders = view();
    orders.follow([created(1, 0, 1, now - 5_000), created(2, 0, 2, now - 4_950), created(3, 0, 3, now - 4_000)]);
    orders.decisionsAt(new Map([[0, 2]]), ends);
    expect(orders.decisionLagMs()).toBe(5_000);
  });

  describe('expected wait of an order accepted now', () => {
    /** order-management at `committed` and the log ending at `end` (one partition), read at `start + t` */
    const reading = (orders: AcceptedOrders, start: number, t: number, committed: number, end: number) => {
      now = start + t;
      orders.decisionsAt(new Map([[0, committed]]), new Map([[0, end]]));
    };

    it('is the undecided orders over the rate order-management decides at, once it has been busy for 1 s', () => {
      const orders = view();
      const start = now;
      // 3 orders a ms come in, it decides 1 a ms: always behind
      for (let t = 0; t < 1_000; t += 250) reading(orders, start, t, t, 3 * t + 1_000);
      expect(orders.expectedWaitMs()).toBe(0); // busy for 750 ms only: not known yet (and nothing followed: no lag)
      reading(orders, start, 1_000, 1_000, 4_000);
      expect(orders.expectedWaitMs()).toBe(3_000); // 3,000 undecided at 1 a ms
      now = start;
    });

    it('measures the rate over the last 5 s of the busy time only', () => {
      const orders = view();
      const start = now;
      // 10 s busy: 2 a ms for the first 5 s, then 0.5 a ms
      for (let t = 0; t <= 5_000; t += 250) reading(orders, start, t, 2 * t, 2 * t + 50_000);
      for (let t = 5_250; t <= 10_000; t += 250) reading(orders, start, t, 10_000 + (t - 5_000) / 2, 70_000);
      // 57,500 undecided at 0.5 a ms
      expect(orders.expectedWaitMs()).toBe(115_000);
      now = start;
    });

    it('counts the slower of the rate over the last 5 s and over the last 2 s (a stall slows it now)', () => {
      const orders = view();
      const start = now;
      // 1 a ms for 3 s, then a quarter of that
      for (let t = 0; t <= 3_000; t += 250) reading(orders, start, t, t, 100_000);
      for (let t = 3_250; t <= 5_000; t += 250) reading(orders, start, t, 3_000 + (t - 3_000) / 4, 100_000);
      // 5 s: 3,500 in 5,000 ms; last 2 s: 500 in 2,000 ms. 96,500 undecided at 0.25 a ms
      expect(orders.expectedWaitMs()).toBe(386_000);
      now = start;
    });

    it('counts the orders this instance accepted since the last reading was asked for', () => {
      const orders = view();
      const start = now;
      for (let t = 0; t <= 1_000; t += 250) reading(orders, start, t, t, 3 * t + 1_000);
      expect(orders.expectedWaitMs()).toBe(3_000);
      for (let n = 0; n < 500; n++) orders.accepted(command(id(50_000 + n)));
      expect(orders.expectedWaitMs()).toBe(3_500);
      // the next reading, asked for before those 500 were accepted, does not count them out
      now = start + 1_250;
      orders.decisionsAt(new Map([[0, 1_250]]), new Map([[0, 4_750]]), orders.admittedCount() - 500);
      expect(orders.expectedWaitMs()).toBe(4_000);
      now = start;
    });

    it('is the oldest wait alone while order-management keeps up (an idle system decides slowly: a burst must not look like a backlog)', () => {
      const orders = view();
      const start = now;
      // a trickle, each reading finds what was there at the one before decided
      for (let t = 0; t <= 2_000; t += 250) reading(orders, start, t, t / 250, t / 250 + 1);
      // then a burst of 200, just read
      reading(orders, start, 2_250, 9, 210);
      expect(orders.expectedWaitMs()).toBe(orders.decisionLagMs());
      // decided within a reading: still not busy for 1 s
      reading(orders, start, 2_500, 210, 210);
      expect(orders.expectedWaitMs()).toBe(0);
      now = start;
    });

    it('is the oldest wait alone while the busy time holds fewer than 1,000 decisions (too few for a rate to refuse on)', () => {
      const orders = view();
      const start = now;
      // busy for 2 s, 900 decided in two batches, 2,000 undecided: 4.4 s at that rate, not counted
      for (let t = 0; t <= 2_000; t += 250) reading(orders, start, t, t < 1_000 ? 0 : t < 2_000 ? 450 : 900, 2_900);
      expect(orders.expectedWaitMs()).toBe(orders.decisionLagMs());
      reading(orders, start, 2_250, 1_000, 2_900);
      expect(orders.expectedWaitMs()).toBe(1_900 / (1_000 / 2_250));
      now = start;
    });

    it('is the oldest wait alone when nothing was decided meanwhile (order-management stopped)', () => {
      const orders = view();
      const start = now;
      orders.follow(Array.from({ length: 100 }, (_, i) => created(10_000 + i, 0, i, now - 8_000 + i)));
      for (let t = 0; t <= 3_000; t += 250) reading(orders, start, t, 0, 100);
      expect(orders.expectedWaitMs()).toBe(11_000);
      expect(orders.expectedWaitMs()).toBe(orders.decisionLagMs());
      now = start;
    });
  });
});
