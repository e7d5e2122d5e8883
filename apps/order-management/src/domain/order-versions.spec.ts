import { randomUUID } from 'node:crypto';
import type { Caller } from '@orderline/contracts';
import { testPrisma, validAddress } from '@orderline/testing';
import { OrderRepository } from '../db/order-repository';
import { cancelOrder } from './cancel-order';
import { OrderRuleViolation } from './order-state-machine';
import { OrderNotFound } from './order-access';
import { OrderVersionMismatch } from './order-versions';
import { updateOrder } from './update-order';

/**
 * An update (and a cancel that names a version) applies only to the version it was made against:
 * a late or replayed one changes nothing. Against the real Postgres: the check that counts is the
 * UPDATE's own WHERE.
 */
const prisma = testPrisma();
const orders = new OrderRepository(prisma);
afterAll(() => prisma.$disconnect());

const owner: Caller = { customerId: 'CUST01', role: 'customer' };
const admin: Caller = { customerId: 'ADMIN01', role: 'admin' };
const newAddress = { ...validAddress, city: 'Hamburg' };

/** A CONFIRMED order of CUST01, stored at version 1. */
async function storedOrder(): Promise<string> {
  const orderId = randomUUID();
  await orders.insertDecided([
    {
      command: { orderId, customerId: owner.customerId, items: [{ productId: 'P-VERSION-1', quantity: 1 }], shippingAddress: validAddress },
      correlationId: 'spec',
      status: 'CONFIRMED',
      lines: [{ productId: 'P-VERSION-1', quantity: 1, unitPrice: '2.00' }],
      totalAmount: '2.00',
    },
  ]);
  return orderId;
}

const eventCount = (orderId: string) => prisma.outboxEvent.count({ where: { aggregateId: orderId } });

async function refusal(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('updateOrder at a version', () => {
  it('applies at the current version and moves it on by one', async () => {
    const orderId = await storedOrder();
    const updated = await updateOrder({ orderId, caller: owner, expectedVersion: 1, shippingAddress: newAddress }, 'spec', orders);
    expect(updated).toMatchObject({ version: 2, shippingAddress: newAddress });
    const shipped = await updateOrder(
      { orderId, caller: admin, expectedVersion: 2, status: 'SHIPPED', tracking: { trackingCompany: 'DHL', trackingNumber: '1' } },
      'spec',
      orders,
    );
    expect(shipped).toMatchObject({ status: 'SHIPPED', version: 3 });
  });

  it('a replayed update older than the order changes nothing, and names the current version', async () => {
    const orderId = await storedOrder();
    const first = { orderId, caller: owner, expectedVersion: 1, shippingAddress: newAddress };
    await updateOrder(first, 'spec', orders);
    await updateOrder({ orderId, caller: owner, expectedVersion: 2, shippingAddress: { ...newAddress, city: 'Bremen' } }, 'spec', orders);
    const before = await orders.findById(orderId);

    const error = await refusal(updateOrder(first, 'spec-replay', orders));
    expect(error).toBeInstanceOf(OrderVersionMismatch);
    expect(error).toMatchObject({ expectedVersion: 1, currentVersion: 3, message: expect.stringContaining('version 3') });
    expect(await orders.findById(orderId)).toEqual(before);
    expect(before).toMatchObject({ version: 3, shippingAddress: { city: 'Bremen' } });
    expect(await eventCount(orderId)).toBe(3);
  });

  it('staleness is answered before the lifecycle rules, after who may ask', async () => {
    const orderId = await storedOrder();
    await updateOrder(
      { orderId, caller: admin, expectedVersion: 1, status: 'SHIPPED', tracking: { trackingCompany: 'DHL', trackingNumber: '1' } },
      'spec',
      orders,
    );
    // the address is frozen once SHIPPED, but a request made against version 1 is stale first of all
    expect(
      await refusal(updateOrder({ orderId, caller: owner, expectedVersion: 1, shippingAddress: newAddress }, 'spec', orders)),
    ).toBeInstanceOf(OrderVersionMismatch);
    expect(
      await refusal(updateOrder({ orderId, caller: owner, expectedVersion: 2, shippingAddress: newAddress }, 'spec', orders)),
    ).toMatchObject({ kind: 'CONFLICT' });
    expect(await refusal(updateOrder({ orderId, caller: owner, expectedVersion: 1, status: 'DELIVERED' }, 'spec', orders))).toMatchObject({
      kind: 'FORBIDDEN',
    });
    expect(
      await refusal(
        updateOrder(
          { orderId, caller: { customerId: 'CUST02', role: 'customer' }, expectedVersion: 1, shippingAddress: newAddress },
          'spec',
          orders,
        ),
      ),
    ).toBeInstanceOf(OrderNotFound);
  });

  it('when the order changes between the read and the UPDATE, the UPDATE refuses and the current version is named', async () => {
    const orderId = await storedOrder();
    // another change lands right after this update has read the order
    const racing: Pick<OrderRepository, 'findById' | 'transition'> = {
      findById: async (id) => {
        const read = await orders.findById(id);
        if (read?.version === 1) {
          await orders.transition(id, {
            from: ['CONFIRMED'],
            data: { trackingNumber: 'other' },
            event: 'OrderUpdated',
            correlationId: 'other',
          });
        }
        return read;
      },
      transition: (id, change) => orders.transition(id, change),
    };
    const error = await refusal(updateOrder({ orderId, caller: owner, expectedVersion: 1, shippingAddress: newAddress }, 'spec', racing));
    expect(error).toMatchObject({ name: 'OrderVersionMismatch', currentVersion: 2 });
    expect(await orders.findById(orderId)).toMatchObject({ version: 2, shippingAddress: validAddress });
  });
});

describe('cancelOrder with and without a version', () => {
  const released: string[] = [];
  const deps = { orders, releaseStock: async (orderId: string) => released.push(orderId) };

  it('without one cancels whatever the version (one-way), and repeating it answers the cancelled order', async () => {
    const orderId = await storedOrder();
    await updateOrder({ orderId, caller: owner, expectedVersion: 1, shippingAddress: newAddress }, 'spec', orders);
    const cancelled = await cancelOrder({ orderId, caller: owner }, 'spec', deps);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 3 });
    expect(await cancelOrder({ orderId, caller: owner }, 'spec', deps)).toEqual(cancelled);
  });

  it('with a stale one changes nothing and releases nothing; at the current one it cancels', async () => {
    const orderId = await storedOrder();
    await updateOrder({ orderId, caller: owner, expectedVersion: 1, shippingAddress: newAddress }, 'spec', orders);
    released.length = 0;

    expect(await refusal(cancelOrder({ orderId, caller: owner, expectedVersion: 1 }, 'spec', deps))).toMatchObject({
      name: 'OrderVersionMismatch',
      currentVersion: 2,
    });
    expect(await orders.findById(orderId)).toMatchObject({ status: 'CONFIRMED', version: 2 });
    expect(released).toEqual([]);

    const cancelled = await cancelOrder({ orderId, caller: owner, expectedVersion: 2 }, 'spec', deps);
    expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 3 });
    expect(released).toEqual([orderId]);
    // a cancelled order at the named version is answered as it is; at an older one, stale
    expect(await cancelOrder({ orderId, caller: owner, expectedVersion: 3 }, 'spec', deps)).toEqual(cancelled);
    expect(await refusal(cancelOrder({ orderId, caller: owner, expectedVersion: 2 }, 'spec', deps))).toBeInstanceOf(OrderVersionMismatch);
  });

  it('a stale cancel of a shipped order is stale; at the current version it is the lifecycle conflict', async () => {
    const orderId = await storedOrder();
    await updateOrder(
      { orderId, caller: admin, expectedVersion: 1, status: 'SHIPPED', tracking: { trackingCompany: 'DHL', trackingNumber: '1' } },
      'spec',
      orders,
    );
    expect(await refusal(cancelOrder({ orderId, caller: owner, expectedVersion: 1 }, 'spec', deps))).toBeInstanceOf(OrderVersionMismatch);
    expect(await refusal(cancelOrder({ orderId, caller: owner, expectedVersion: 2 }, 'spec', deps))).toBeInstanceOf(OrderRuleViolation);
  });
});
