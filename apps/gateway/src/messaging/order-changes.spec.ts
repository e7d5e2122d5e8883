import { randomUUID } from 'node:crypto';
import { Headers, Topics, type Order } from '@orderline/contracts';
import type { FollowedMessage } from '@orderline/messaging';
import { OrderChanges, decodePosition, encodePosition, parseChange, type LogPosition, type OrderChange } from './order-changes';

const order = (id: string, version: number, customerId = 'CUST01'): Order => ({
  id,
  customerId,
  status: 'CONFIRMED',
  items: [{ productId: 'P1', quantity: 1, unitPrice: '1.00' }],
  totalAmount: '1.00',
  shippingAddress: { line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
  trackingCompany: null,
  trackingNumber: null,
  rejectionReason: null,
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
  version,
});
const ids = ['6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f', '7f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f'];

const message = (partition: number, offset: number, body: Order, type = 'OrderUpdated'): FollowedMessage => ({
  topic: Topics.orderEvents,
  partition,
  offset,
  key: body.id,
  value: Buffer.from(
    JSON.stringify({ messageId: randomUUID(), correlationId: 'c', type, occurredAt: new Date().toISOString(), payload: { order: body } }),
  ),
  timestamp: 0,
  headers: { [Headers.messageType]: type },
});

const changesFrom = (starts: number[], bounds = { maxEvents: 100, maxBytes: 1_048_576 }) =>
  new OrderChanges({ ...bounds, startOffsets: () => new Map(starts.map((offset, partition) => [partition, offset])) });

function record(): { seen: [string, number, LogPosition][]; listener: (change: OrderChange, position: LogPosition) => void } {
  const seen: [string, number, LogPosition][] = [];
  return { seen, listener: (change, position) => seen.push([change.order.id, change.order.version, position.slice()]) };
}

describe('OrderChanges', () => {
  it('hands each change on once, in order, with the position after it; a message read again after a restart is dropped', () => {
    const changes = changesFrom([5, 0]);
    const { seen, listener } = record();
    const subscription = changes.subscribe({}, listener);
    expect(subscription).toMatchObject({ position: [5, 0] });
    changes.follow([message(0, 5, order(ids[0], 1)), message(1, 0, order(ids[1], 1))]);
    changes.follow([message(0, 5, order(ids[0], 1)), message(0, 6, order(ids[0], 2))]);
    expect(seen).toEqual([
      [ids[0], 1, [6, 0]],
      [ids[1], 1, [6, 1]],
      [ids[0], 2, [7, 1]],
    ]);
  });

  it('filters by order and by customer; a closed subscription hears nothing', () => {
    const changes = changesFrom([0]);
    const one = record();
    const customer = record();
    const closed = record();
    changes.subscribe({ orderId: ids[0] }, one.listener);
    changes.subscribe({ customerId: 'CUST02' }, customer.listener);
    (changes.subscribe({}, closed.listener) as { close(): void }).close();
    changes.follow([message(0, 0, order(ids[0], 1)), message(0, 1, order(ids[1], 1, 'CUST02'))]);
    expect(one.seen.map(([id]) => id)).toEqual([ids[0]]);
    expect(customer.seen.map(([id]) => id)).toEqual([ids[1]]);
    expect(closed.seen).toEqual([]);
    expect(changes.size().subscribers).toBe(2);
  });

  it('replays from a position it holds; a position older than it holds (evicted, or before its start) is too-old; a foreign length is invalid', () => {
    const changes = changesFrom([10, 0], { maxEvents: 2, maxBytes: 1_048_576 });
    changes.follow([message(0, 10, order(ids[0], 1)), message(1, 0, order(ids[1], 1)), message(0, 11, order(ids[0], 2))]);
    expect(changes.size().held).toBe(2);
    const { seen, listener } = record();
    expect(changes.subscribe({}, listener, [11, 0])).toMatchObject({ position: [12, 1] });
    expect(seen).toEqual([
      [ids[1], 1, [11, 1]],
      [ids[0], 2, [12, 1]],
    ]);
    expect(changes.subscribe({}, listener, [10, 0])).toBe('too-old'); // offset 10 was evicted
    expect(changes.subscribe({}, listener, [9, 1])).toBe('too-old'); // before where this instance began
    expect(changes.subscribe({}, listener, [12])).toBe('invalid');
  });

  it('is not ready before the follower knows where it started', () => {
    const changes = new OrderChanges({ maxEvents: 10, maxBytes: 1_048_576, startOffsets: () => new Map() });
    expect(changes.subscribe({}, () => undefined)).toBeUndefined();
  });

  it('ignores messages that are not order events', () => {
    expect(parseChange({ partition: 0, offset: 0, value: Buffer.from('not json'), headers: {} })).toBeUndefined();
    expect(parseChange({ ...message(0, 0, order(ids[0], 1), 'SomethingElse') })).toBeUndefined();
    expect(parseChange(message(0, 0, order(ids[0], 1), 'OrderShipped'))).toMatchObject({ type: 'OrderShipped', order: { version: 1 } });
  });

  it('reads an event by its envelope version as every consumer does: versions its contract does not read are no change', () => {
    const at = (version: number) => {
      const m = message(0, 0, order(ids[0], 1), 'OrderShipped');
      const envelope = { ...(JSON.parse((m.value as Buffer).toString('utf8')) as object), version };
      return { ...m, value: Buffer.from(JSON.stringify(envelope)) };
    };
    expect(parseChange(at(1))).toMatchObject({ order: { id: ids[0] } });
    expect(parseChange(at(2))).toMatchObject({ order: { id: ids[0] } }); // a producer one deploy ahead
    expect(parseChange(at(3))).toBeUndefined();
  });
});

describe('orders checked against the contract when first served', () => {
  // a current-version event whose order breaks the contract (a price that is no amount) but whose id, customer and version are sound
  const broken = { ...order(ids[1], 1), totalAmount: 'lots' } as unknown as Order;

  it('holds it (the position moves on), but a checking subscriber never gets it; an unchecked one does, and valid() says no', () => {
    const changes = changesFrom([0]);
    const checking = record();
    const unchecked: OrderChange[] = [];
    changes.subscribe({}, checking.listener);
    changes.subscribe({}, (change) => unchecked.push(change), undefined, { unchecked: true });
    changes.follow([message(0, 0, order(ids[0], 1)), message(0, 1, broken)]);
    expect(checking.seen.map(([id]) => id)).toEqual([ids[0]]);
    expect(unchecked.map((change) => [change.orderId, change.valid()])).toEqual([
      [ids[0], true],
      [ids[1], false],
    ]);
    // a stream resuming from before them is replayed the sound one only
    const replay = record();
    changes.subscribe({}, replay.listener, [0]);
    expect(replay.seen.map(([id]) => id)).toEqual([ids[0]]);
  });

  it('takes a current-version event with its routing fields checked only, and reads any other version through its contract', () => {
    const fast = parseChange(message(0, 0, broken));
    expect(fast).toMatchObject({ orderId: ids[1], customerId: 'CUST01', version: 1, status: 'CONFIRMED' });
    expect(fast?.valid()).toBe(false);
    // routing fields that are not sound: no change at all
    expect(parseChange(message(0, 0, { ...order(ids[0], 1), id: 'not-a-uuid' }))).toBeUndefined();
    expect(parseChange(message(0, 0, { ...order(ids[0], 1), status: 'LOST' as Order['status'] }))).toBeUndefined();
    expect(parseChange(message(0, 0, { ...order(ids[0], 1), version: -1 }))).toBeUndefined();
  });
});

describe('positions as event ids', () => {
  it('round-trip with and without a version, and refuse anything else', () => {
    expect(encodePosition([0, 35, 1_000_000])).toBe('1::0.z.lfls');
    expect(decodePosition('1::0.z.lfls')).toEqual({ position: [0, 35, 1_000_000] });
    expect(decodePosition(encodePosition([7, 8], 3))).toEqual({ position: [7, 8], version: 3 });
    for (const bad of ['', '2::0', '1::', '1:x:0', '1::0..1', '1::-1', `1::${'z'.repeat(14)}`]) expect(decodePosition(bad)).toBeUndefined();
  });
});
