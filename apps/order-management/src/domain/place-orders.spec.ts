import type { CreateOrderPayload, Customer, Reservation } from '@orderline/contracts';
import { MAX_TOTAL_CENTS, placeOrders, totalOf, type DecidedOrder, type PlaceOrdersDeps } from './place-orders';

const address = { line1: 'x', city: 'y', postalCode: 'z', country: 'DE' };
const command = (orderId: string, customerId: string, extra: Partial<CreateOrderPayload> = {}): CreateOrderPayload => ({
  orderId,
  customerId,
  items: [{ productId: 'P1', quantity: 3 }],
  shippingAddress: address,
  ...extra,
});

function fakes({
  existing = new Map<string, string | null>(),
  customers = [] as Customer[],
  outOfStock = new Set<string>(),
  reservations = new Map<string, Reservation>(),
  decidedElsewhere = new Set<string>(),
  openOrders = new Map<string, number>(),
  maxOpenOrdersPerCustomer = 1_000,
} = {}) {
  const stored: DecidedOrder[] = [];
  const calls: string[] = [];
  const released: string[] = [];
  const openAsked: { customerIds: string[]; orderIds: string[] }[] = [];
  const deps: PlaceOrdersDeps = {
    countOpenOrders: async (customerIds, orderIds) => {
      openAsked.push({ customerIds, orderIds });
      return new Map(customerIds.flatMap((id) => (openOrders.has(id) ? [[id, openOrders.get(id) as number]] : [])));
    },
    maxOpenOrdersPerCustomer,
    findExisting: async (ids) => new Map(ids.filter((id) => existing.has(id)).map((id) => [id, { requestHash: existing.get(id) ?? null }])),
    findCustomers: async (ids) => {
      calls.push(`customers ${ids.join(',')}`);
      return customers.filter((c) => ids.includes(c.id));
    },
    reserveStock: async (orders) => {
      calls.push(`reserve ${orders.map((o) => o.orderId).join(',')}`);
      return orders.map(
        (o): Reservation =>
          reservations.get(o.orderId) ??
          (outOfStock.has(o.orderId)
            ? { orderId: o.orderId, outcome: 'REJECTED', reason: 'OUT_OF_STOCK', productIds: ['P1'] }
            : { orderId: o.orderId, outcome: 'RESERVED', lines: [{ productId: 'P1', quantity: 3, unitPrice: '19.99' }] }),
      );
    },
    insertDecided: async (orders, release) => {
      const inserted = orders.filter((o) => !decidedElsewhere.has(o.command.orderId));
      stored.push(...inserted);
      released.push(...release.filter((id) => inserted.some((o) => o.command.orderId === id)));
      return new Set(inserted.map((o) => o.command.orderId));
    },
    releaseIfRejected: async (ids) => {
      calls.push(`release if rejected ${ids.join(',')}`);
    },
  };
  return { deps, stored, calls, released, openAsked };
}

const ok: Customer = { id: 'C1', name: 'ok', blocked: false };
const blocked: Customer = { id: 'C2', name: 'blocked', blocked: true };

describe('placeOrders', () => {
  it('decides a batch with one customer look-up and one reservation', async () => {
    const { deps, stored, calls } = fakes({ customers: [ok, blocked], outOfStock: new Set(['o3']) });
    const results = await placeOrders(
      [
        { command: command('o1', 'C1'), correlationId: 'a' },
        { command: command('o2', 'C2'), correlationId: 'b' },
        { command: command('o3', 'C1'), correlationId: 'c' },
        { command: command('o4', 'NOBODY'), correlationId: 'd' },
      ],
      deps,
    );
    expect(results.map((r) => r.outcome)).toEqual(['CONFIRMED', 'REJECTED', 'REJECTED', 'REJECTED']);
    expect(calls).toEqual(['customers C1,C2,NOBODY', 'reserve o1,o3']);
    const byId = new Map(stored.map((o) => [o.command.orderId, o]));
    expect(byId.get('o1')).toMatchObject({ status: 'CONFIRMED', totalAmount: '59.97', correlationId: 'a' });
    expect(byId.get('o2')).toMatchObject({ status: 'REJECTED', reason: 'CUSTOMER_BLOCKED' });
    expect(byId.get('o3')).toMatchObject({ status: 'REJECTED', reason: 'OUT_OF_STOCK' });
    expect(byId.get('o4')).toMatchObject({ status: 'REJECTED', reason: 'UNKNOWN_CUSTOMER' });
  });

  it('leaves existing orders alone and answers repeats like the order they repeat', async () => {
    const { deps, stored, calls } = fakes({ customers: [ok], existing: new Map([['old', 'h1']]) });
    const results = await placeOrders(
      [
        { command: command('old', 'C1', { requestHash: 'h1' }), correlationId: 'redelivered' },
        { command: command('old', 'C1', { requestHash: 'h2' }), correlationId: 'reused key' },
        { command: command('new', 'C1', { requestHash: 'h3' }), correlationId: 'first' },
        { command: command('new', 'C1', { requestHash: 'h3' }), correlationId: 'same key again' },
        { command: command('new', 'C1', { requestHash: 'h4' }), correlationId: 'other body' },
      ],
      deps,
    );
    expect(results).toEqual([
      { outcome: 'EXISTING', created: false },
      { outcome: 'CONFLICT', created: false },
      { outcome: 'CONFIRMED', created: true },
      { outcome: 'EXISTING', created: false },
      { outcome: 'CONFLICT', created: false },
    ]);
    expect(stored.map((o) => o.command.orderId)).toEqual(['new']);
    expect(calls).toEqual(['customers C1', 'reserve new']);
  });

  it('reserves and writes nothing when every order exists already', async () => {
    const { deps, calls, stored } = fakes({ existing: new Map([['a', null]]) });
    expect(await placeOrders([{ command: command('a', 'C1'), correlationId: 'x' }], deps)).toEqual([
      { outcome: 'EXISTING', created: false },
    ]);
    expect(calls).toEqual(['customers C1']);
    expect(stored).toEqual([]);
  });

  it('looks up existing orders and customers at the same time', async () => {
    const { deps } = fakes({ customers: [ok] });
    const events: string[] = [];
    const slow =
      <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
      async (...args: A) => {
        events.push(`${name} asked`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`${name} answered`);
        return fn(...args);
      };
    await placeOrders([{ command: command('o1', 'C1'), correlationId: 'a' }], {
      ...deps,
      findExisting: slow('existing', deps.findExisting),
      findCustomers: slow('customers', deps.findCustomers),
      countOpenOrders: slow('open orders', deps.countOpenOrders),
    });
    expect(events.slice(0, 3).sort()).toEqual(['customers asked', 'existing asked', 'open orders asked']);
  });

  it('totals exactly in cents', () => {
    expect(
      totalOf([
        { quantity: 3, unitPrice: '19.99' },
        { quantity: 1, unitPrice: '0.03' },
      ]),
    ).toBe('60.00');
    expect(
      totalOf([
        { quantity: 10, unitPrice: '0.10' },
        { quantity: 1, unitPrice: '0.20' },
      ]),
    ).toBe('1.20');
  });

  it('releases whatever may be reserved for an order rejected before or after its reservation, never for out-of-stock', async () => {
    const { deps, released } = fakes({ customers: [ok, blocked], outOfStock: new Set(['o3']) });
    await placeOrders(
      [
        { command: command('o1', 'C1'), correlationId: 'a' },
        { command: command('o2', 'C2'), correlationId: 'blocked meanwhile' },
        { command: command('o3', 'C1'), correlationId: 'no stock' },
        { command: command('o4', 'NOBODY'), correlationId: 'unknown' },
      ],
      deps,
    );
    expect(released).toEqual(['o2', 'o4']);
  });

  it('rejects PROCESSING_FAILED, and releases, a total the database cannot hold and a reservation made for other items', async () => {
    const huge: Reservation = {
      orderId: 'big',
      outcome: 'RESERVED',
      lines: [{ productId: 'P1', quantity: 1000, unitPrice: '9999999999.99' }],
    };
    const mismatch: Reservation = { orderId: 'replay', outcome: 'REJECTED', reason: 'RESERVATION_MISMATCH', productIds: ['P1'] };
    const { deps, stored, released } = fakes({
      customers: [ok],
      reservations: new Map<string, Reservation>([
        ['big', huge],
        ['replay', mismatch],
      ]),
    });
    const results = await placeOrders(
      [
        { command: command('big', 'C1'), correlationId: 'a' },
        { command: command('replay', 'C1'), correlationId: 'b' },
        { command: command('fine', 'C1'), correlationId: 'c' },
      ],
      deps,
    );
    expect(results.map((r) => r.outcome)).toEqual(['REJECTED', 'REJECTED', 'CONFIRMED']);
    expect(stored.map((o) => [o.command.orderId, o.status === 'REJECTED' ? o.reason : o.status])).toEqual([
      ['big', 'PROCESSING_FAILED'],
      ['replay', 'PROCESSING_FAILED'],
      ['fine', 'CONFIRMED'],
    ]);
    expect(released).toEqual(['big', 'replay']);
    expect(MAX_TOTAL_CENTS).toBe(999_999_999_999n);
  });

  it('releases its reservation again if another instance stored the order meanwhile, in case that one rejected it', async () => {
    const { deps, calls } = fakes({ customers: [ok], decidedElsewhere: new Set(['raced']) });
    const results = await placeOrders(
      [
        { command: command('raced', 'C1'), correlationId: 'a' },
        { command: command('mine', 'C1'), correlationId: 'b' },
      ],
      deps,
    );
    expect(results.map((r) => r.outcome)).toEqual(['EXISTING', 'CONFIRMED']);
    expect(calls).toContain('release if rejected raced');
  });

  it("rejects TOO_MANY_OPEN_ORDERS before reserving, counting the batch's own orders in the order they came", async () => {
    const other: Customer = { id: 'C3', name: 'other', blocked: false };
    const { deps, stored, calls, released, openAsked } = fakes({
      customers: [ok, blocked, other],
      openOrders: new Map([
        ['C1', 8],
        ['C2', 10],
        ['C3', 0],
      ]),
      maxOpenOrdersPerCustomer: 10,
      outOfStock: new Set(['o1']),
    });
    const results = await placeOrders(
      ['o1', 'o2', 'o3', 'o4']
        .map((id) => ({ command: command(id, 'C1'), correlationId: id }))
        .concat(
          { command: command('b1', 'C2'), correlationId: 'blocked' },
          { command: command('c1', 'C3'), correlationId: 'other customer' },
        ),
      deps,
    );
    expect(openAsked).toEqual([{ customerIds: ['C1', 'C2', 'C3'], orderIds: ['o1', 'o2', 'o3', 'o4', 'b1', 'c1'] }]);
    // o1 counts although inventory then refuses it: it was open while the batch was decided
    expect(calls).toEqual(['customers C1,C2,C3', 'reserve o1,o2,c1']);
    expect(results.map((r) => r.outcome)).toEqual(['REJECTED', 'CONFIRMED', 'REJECTED', 'REJECTED', 'REJECTED', 'CONFIRMED']);
    expect(stored.map((o) => [o.command.orderId, o.status === 'REJECTED' ? o.reason : o.status])).toEqual([
      ['o3', 'TOO_MANY_OPEN_ORDERS'],
      ['o4', 'TOO_MANY_OPEN_ORDERS'],
      ['b1', 'CUSTOMER_BLOCKED'],
      ['o1', 'OUT_OF_STOCK'],
      ['o2', 'CONFIRMED'],
      ['c1', 'CONFIRMED'],
    ]);
    // a redelivered command may have reserved on its first delivery, before the customer reached the limit
    expect(released).toEqual(['o3', 'o4', 'b1']);
  });
});
