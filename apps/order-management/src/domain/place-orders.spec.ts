import type { CreateOrderPayload, Customer, Reservation } from '@orderline/contracts';
import { placeOrders, totalOf, type DecidedOrder, type PlaceOrdersDeps } from './place-orders';

const address = { line1: 'x', city: 'y', postalCode: 'z', country: 'DE' };
const command = (orderId: string, customerId: string, extra: Partial<CreateOrderPayload> = {}): CreateOrderPayload => ({
  orderId,
  customerId,
  items: [{ productId: 'P1', quantity: 3 }],
  shippingAddress: address,
  ...extra,
});

function fakes({ existing = new Map<string, string | null>(), customers = [] as Customer[], outOfStock = new Set<string>() } = {}) {
  const stored: DecidedOrder[] = [];
  const calls: string[] = [];
  const deps: PlaceOrdersDeps = {
    findExisting: async (ids) => new Map(ids.filter((id) => existing.has(id)).map((id) => [id, { requestHash: existing.get(id) ?? null }])),
    findCustomers: async (ids) => {
      calls.push(`customers ${ids.join(',')}`);
      return customers.filter((c) => ids.includes(c.id));
    },
    reserveStock: async (orders) => {
      calls.push(`reserve ${orders.map((o) => o.orderId).join(',')}`);
      return orders.map(
        (o): Reservation =>
          outOfStock.has(o.orderId)
            ? { orderId: o.orderId, outcome: 'REJECTED', reason: 'OUT_OF_STOCK', productIds: ['P1'] }
            : { orderId: o.orderId, outcome: 'RESERVED', lines: [{ productId: 'P1', quantity: 3, unitPrice: '19.99' }] },
      );
    },
    insertDecided: async (orders) => {
      stored.push(...orders);
      return new Set(orders.map((o) => o.command.orderId));
    },
  };
  return { deps, stored, calls };
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
    const slow = <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
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
    });
    expect(events.slice(0, 2).sort()).toEqual(['customers asked', 'existing asked']);
  });

  it('totals exactly in cents', () => {
    expect(totalOf([{ quantity: 3, unitPrice: '19.99' }, { quantity: 1, unitPrice: '0.03' }])).toBe('60.00');
    expect(totalOf([{ quantity: 10, unitPrice: '0.10' }, { quantity: 1, unitPrice: '0.20' }])).toBe('1.20');
  });
});
