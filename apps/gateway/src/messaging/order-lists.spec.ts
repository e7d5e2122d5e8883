import { randomUUID } from 'node:crypto';
import { Headers, Topics, orderListCursor, type Order, type OrderEventType } from '@orderline/contracts';
import { buildOrder } from '../component/fake-backend';
import { OrderChanges } from './order-changes';
import { OrderLists, type OrderListPage } from './order-lists';

/**
 * The first pages of customers' order lists, kept current from the changes followed on
 * orders.events: fed here as the follower feeds them (one partition), with order-management's
 * answers scripted per test.
 */
let now = 0;
let offset = 0;
let changes: OrderChanges;
let lists: OrderLists;
/** what order-management answers next, and how often it was asked */
let answer: OrderListPage;
let asked = 0;
const ask = () => {
  asked++;
  return Promise.resolve(structuredClone(answer));
};

function setUp(options: { maxBytes?: number; started?: boolean } = {}) {
  now = 0;
  offset = 0;
  asked = 0;
  changes = new OrderChanges({
    startOffsets: () => new Map(options.started === false ? [] : [[0, 0]]),
    maxEvents: 1_000,
    maxBytes: 1_048_576,
  });
  lists = new OrderLists({ changes, maxBytes: options.maxBytes ?? 1_048_576, idleMs: 60_000, refreshMs: 30_000, now: () => now });
}

/** order-management stored a change: its event is read from orders.events */
function emit(order: Order, type: OrderEventType = 'OrderConfirmed'): void {
  const envelope = { messageId: randomUUID(), correlationId: 'test', type, occurredAt: new Date().toISOString(), payload: { order } };
  changes.follow([
    {
      topic: Topics.orderEvents,
      partition: 0,
      offset: offset++,
      key: order.id,
      value: Buffer.from(JSON.stringify(envelope)),
      timestamp: now,
      headers: { [Headers.messageType]: type },
    },
  ]);
}

/** the n-th order of a customer: later n, newer */
const orderOf = (customerId: string, n: number, overrides: Partial<Order> = {}) =>
  buildOrder({
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    customerId,
    createdAt: new Date(Date.UTC(2026, 11, 3, 10, 0, n)).toISOString(),
    ...overrides,
  });
const ids = (page: OrderListPage) => page.items.map((o) => Number(o.id.slice(-12)));
const first = (limit = 3, status?: Order['status']) => lists.read({ customerId: 'CUST01', limit, ...(status ? { status } : {}) }, ask);

beforeEach(() => setUp());

describe('OrderLists', () => {
  it('asks order-management once, then answers from the page, showing every order decided since, newest first', async () => {
    answer = { items: [orderOf('CUST01', 2), orderOf('CUST01', 1)], nextCursor: null };
    expect(ids(await first())).toEqual([2, 1]);
    emit(orderOf('CUST01', 3));
    emit(orderOf('CUST02', 4)); // another customer's
    expect(await first()).toEqual({ items: [orderOf('CUST01', 3), orderOf('CUST01', 2), orderOf('CUST01', 1)], nextCursor: null });
    // a fourth pushes the oldest to the next page: its cursor continues after the last one shown
    emit(orderOf('CUST01', 5));
    const page = await first();
    expect(ids(page)).toEqual([5, 3, 2]);
    expect(page.nextCursor).toBe(orderListCursor(orderOf('CUST01', 2)));
    expect(asked).toBe(1);
  });

  it('applies the changes read while order-management answered, by version: neither lost nor turned back', async () => {
    answer = { items: [orderOf('CUST01', 1, { version: 1 })], nextCursor: null };
    let release: () => void = () => undefined;
    const slow = () =>
      new Promise<OrderListPage>((resolve) => {
        asked++;
        release = () => resolve(structuredClone(answer));
      });
    const reading = lists.read({ customerId: 'CUST01', limit: 3 }, slow);
    // stored after order-management read the page: their events arrive before its answer
    emit(orderOf('CUST01', 1, { version: 2, status: 'CANCELLED' }), 'OrderCancelled');
    emit(orderOf('CUST01', 2));
    release();
    const page = await reading;
    expect(page.items.map((o) => [o.id.slice(-1), o.status, o.version])).toEqual([
      ['2', 'CONFIRMED', 1],
      ['1', 'CANCELLED', 2],
    ]);
    // a change through this instance shows at once; its event read later changes nothing
    lists.changed(orderOf('CUST01', 2, { version: 2, status: 'SHIPPED' }));
    emit(orderOf('CUST01', 2, { version: 1 }));
    expect((await first()).items[0]).toMatchObject({ status: 'SHIPPED', version: 2 });
  });

  it('with a status filter: an order that leaves the status leaves the page; when older ones must fill it, order-management is asked again', async () => {
    answer = { items: [orderOf('CUST01', 3), orderOf('CUST01', 2)], nextCursor: 'more' };
    expect(ids(await first(2, 'CONFIRMED'))).toEqual([3, 2]);
    emit(orderOf('CUST01', 4, { status: 'REJECTED' }), 'OrderRejected'); // not CONFIRMED: not listed
    emit(orderOf('CUST01', 1)); // older than the page: on a later page
    expect(ids(await first(2, 'CONFIRMED'))).toEqual([3, 2]);
    expect(asked).toBe(1);
    emit(orderOf('CUST01', 3, { version: 2, status: 'CANCELLED' }), 'OrderCancelled');
    answer = { items: [orderOf('CUST01', 2), orderOf('CUST01', 1)], nextCursor: null };
    expect(ids(await first(2, 'CONFIRMED'))).toEqual([2, 1]);
    expect(asked).toBe(2);
  });

  it('a page tracking more than 1,000 departures (orders that left its status) is read again from order-management', async () => {
    answer = { items: [orderOf('CUST01', 5_000)], nextCursor: null };
    expect(ids(await first(3, 'CONFIRMED'))).toEqual([5_000]);
    for (let n = 1; n <= 1_000; n++) emit(orderOf('CUST01', n, { status: 'REJECTED' }), 'OrderRejected');
    expect(ids(await first(3, 'CONFIRMED'))).toEqual([5_000]);
    expect(asked).toBe(1);
    emit(orderOf('CUST01', 1_001, { status: 'REJECTED' }), 'OrderRejected'); // the 1,001st
    expect(ids(await first(3, 'CONFIRMED'))).toEqual([5_000]);
    expect(asked).toBe(2);
  });

  it('an order from orders.events that breaks the contract is not served: the page is let go and order-management answers', async () => {
    answer = { items: [orderOf('CUST01', 1)], nextCursor: null };
    await first();
    emit({ ...orderOf('CUST01', 2), totalAmount: 'lots' } as unknown as Order);
    expect(ids(await first())).toEqual([1]);
    expect(asked).toBe(2);
  });

  it('reads the page again in the background after refreshMs, answering the held one meanwhile', async () => {
    answer = { items: [orderOf('CUST01', 1)], nextCursor: null };
    await first();
    answer = { items: [orderOf('CUST01', 2), orderOf('CUST01', 1)], nextCursor: null };
    now = 30_001;
    expect(ids(await first())).toEqual([1]);
    expect(asked).toBe(2);
    await Promise.resolve();
    expect(ids(await first())).toEqual([2, 1]);
    expect(changes.size().subscribers).toBe(1); // the old page's subscription closed
  });

  it('concurrent first reads share one request; a failed one holds nothing and the next read asks again', async () => {
    answer = { items: [orderOf('CUST01', 1)], nextCursor: null };
    const reads = await Promise.all([first(), first(), first()]);
    expect(reads.map(ids)).toEqual([[1], [1], [1]]);
    expect(asked).toBe(1);
    const failing = () => Promise.reject(new Error('504'));
    await expect(lists.read({ customerId: 'CUST02', limit: 3 }, failing)).rejects.toThrow('504');
    expect(lists.size().pages).toBe(1);
    expect(changes.size().subscribers).toBe(1);
  });

  it('holds at most maxBytes (the least recently read go) and lets go of pages unread for idleMs', async () => {
    const big = (customerId: string) => ({
      items: [orderOf(customerId, 1, { shippingAddress: { ...orderOf(customerId, 1).shippingAddress, line2: 'x'.repeat(100) } })],
      nextCursor: null,
    });
    const pageBytes = async (customerId: string) => {
      answer = big(customerId);
      await lists.read({ customerId, limit: 3 }, ask);
      return lists.size().bytes;
    };
    const one = await pageBytes('CUST01');
    setUp({ maxBytes: 2 * one });
    for (const customer of ['CUST01', 'CUST02', 'CUST03']) {
      answer = big(customer);
      await lists.read({ customerId: customer, limit: 3 }, ask);
    }
    expect(lists.size()).toEqual({ pages: 2, bytes: 2 * one });
    expect(changes.size().subscribers).toBe(2);
    now = 60_001;
    answer = big('CUST04');
    await lists.read({ customerId: 'CUST04', limit: 3 }, ask);
    expect(lists.size().pages).toBe(1);
  });

  it('before the follower has a position in orders.events, answers from order-management without holding the page', async () => {
    setUp({ started: false });
    answer = { items: [orderOf('CUST01', 1)], nextCursor: null };
    expect(ids(await first())).toEqual([1]);
    expect(ids(await first())).toEqual([1]);
    expect(asked).toBe(2);
    expect(lists.size().pages).toBe(0);
  });
});
