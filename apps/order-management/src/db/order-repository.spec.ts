import { randomUUID } from 'node:crypto';
import type { Order } from '@orderline/contracts';
import { testPrisma, validAddress } from '@orderline/testing';
import type { DecidedOrder } from '../domain/place-orders';
import { OrderRepository } from './order-repository';

/** Against the real Postgres (npm run infra:up, migrated). Every order here has an id of its own. */
const prisma = testPrisma();
const orders = new OrderRepository(prisma);
afterAll(() => prisma.$disconnect());

function confirmedOrder(customerId = 'CUST01'): DecidedOrder {
  return {
    command: { orderId: randomUUID(), customerId, items: [{ productId: 'P-VERSION-1', quantity: 2 }], shippingAddress: validAddress },
    correlationId: `spec-${randomUUID()}`,
    status: 'CONFIRMED',
    lines: [{ productId: 'P-VERSION-1', quantity: 2, unitPrice: '1.50' }],
    totalAmount: '3.00',
  };
}

/** The orders its outbox events carry, oldest first. */
async function eventOrders(orderId: string): Promise<{ type: string; order: Order }[]> {
  const rows = await prisma.outboxEvent.findMany({ where: { aggregateId: orderId }, orderBy: { id: 'asc' } });
  return rows.map((row) => ({ type: row.type, order: (row.payload as { payload: { order: Order } }).payload.order }));
}

const readVersion = async (id: string) => (await prisma.order.findUniqueOrThrow({ where: { id }, select: { version: true } })).version;

describe('OrderRepository: versions', () => {
  it('stores a new order at version 1, and its event says so', async () => {
    const decided = confirmedOrder();
    await orders.insertDecided([decided]);
    const stored = await orders.findById(decided.command.orderId);
    expect(stored?.version).toBe(1);
    expect(await eventOrders(decided.command.orderId)).toEqual([
      { type: 'OrderConfirmed', order: expect.objectContaining({ status: 'CONFIRMED', version: 1 }) },
    ]);
  });

  it('every change increments the version in the same UPDATE; its event carries the new version', async () => {
    const decided = confirmedOrder();
    await orders.insertDecided([decided]);
    const id = decided.command.orderId;
    const address = { ...validAddress, city: 'Hamburg' };
    const updated = await orders.transition(id, {
      from: ['CONFIRMED'],
      data: { shippingAddress: address },
      event: 'OrderUpdated',
      correlationId: 'spec',
    });
    expect(updated).toMatchObject({ version: 2, shippingAddress: address });
    const shipped = await orders.transition(id, {
      from: ['CONFIRMED'],
      expectedVersion: 2,
      to: 'SHIPPED',
      data: { trackingCompany: 'DHL', trackingNumber: '1' },
      event: 'OrderShipped',
      correlationId: 'spec',
    });
    expect(shipped).toMatchObject({ status: 'SHIPPED', version: 3 });
    expect(await orders.findById(id)).toEqual(shipped);
    expect((await eventOrders(id)).map((e) => [e.type, e.order.version])).toEqual([
      ['OrderConfirmed', 1],
      ['OrderUpdated', 2],
      ['OrderShipped', 3],
    ]);
  });

  it('a change at a version the order is no longer at changes nothing and writes no event', async () => {
    const decided = confirmedOrder();
    await orders.insertDecided([decided]);
    const id = decided.command.orderId;
    await orders.transition(id, {
      from: ['CONFIRMED'],
      expectedVersion: 1,
      data: { trackingNumber: 'x' },
      event: 'OrderUpdated',
      correlationId: 'spec',
    });
    const before = await orders.findById(id);

    const stale = await orders.transition(id, {
      from: ['CONFIRMED'],
      expectedVersion: 1,
      data: { shippingAddress: { ...validAddress, city: 'Stale' } },
      event: 'OrderUpdated',
      correlationId: 'spec',
    });
    expect(stale).toBeNull();
    expect(await orders.findById(id)).toEqual(before);
    expect(before?.version).toBe(2);
    expect(await eventOrders(id)).toHaveLength(2);
  });

  it('of changes racing against one version, exactly one applies', async () => {
    const decided = confirmedOrder();
    await orders.insertDecided([decided]);
    const id = decided.command.orderId;
    const cities = ['A', 'B', 'C', 'D'];
    const results = await Promise.all(
      cities.map((city) =>
        orders.transition(id, {
          from: ['CONFIRMED'],
          expectedVersion: 1,
          data: { shippingAddress: { ...validAddress, city } },
          event: 'OrderUpdated',
          correlationId: 'spec',
        }),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect(await readVersion(id)).toBe(2);
    expect((await orders.findById(id))?.shippingAddress.city).toBe(winners[0]?.shippingAddress.city);
    expect(await eventOrders(id)).toHaveLength(2);
  });
});

describe('OrderRepository: open orders per customer', () => {
  it("counts PENDING and CONFIRMED orders per customer, up to a cap, leaving out the batch's own PENDING ones", async () => {
    const customer = `OPEN-${randomUUID().slice(0, 8)}`;
    const idle = `OPEN-${randomUUID().slice(0, 8)}`;
    const confirmed = [confirmedOrder(customer), confirmedOrder(customer), confirmedOrder(customer)];
    const rejected: DecidedOrder = { ...confirmedOrder(customer), status: 'REJECTED', reason: 'OUT_OF_STOCK' };
    const shipped = confirmedOrder(customer);
    await orders.insertDecided([...confirmed, rejected, shipped]);
    await orders.transition(shipped.command.orderId, { from: ['CONFIRMED'], to: 'SHIPPED', event: 'OrderShipped', correlationId: 'spec' });
    const pendingId = randomUUID();
    await prisma.order.create({ data: { id: pendingId, customerId: customer, status: 'PENDING', shippingAddress: validAddress } });

    expect(await orders.countOpenOrders([customer, idle], [], 100)).toEqual(
      new Map([
        [customer, 4],
        [idle, 0],
      ]),
    );
    // the batch being decided, stored PENDING before: not counted; a decided order of the batch (a redelivery) still is
    expect(await orders.countOpenOrders([customer], [pendingId, confirmed[0].command.orderId], 100)).toEqual(new Map([[customer, 3]]));
    // counted only as far as a limit needs: the cap bounds the scan
    expect(await orders.countOpenOrders([customer], [], 2)).toEqual(new Map([[customer, 2]]));
    expect(await orders.countOpenOrders([], [], 2)).toEqual(new Map());
  });
});
