import { OrderEvents, Topics } from '@orderline/contracts';
import { EventCollector, createTestProduct, testPrisma, waitFor } from '@orderline/testing';
import { adminToken, api, bearer, confirmedOrder, customerToken, newAddress, orderBody, placeOrder, waitForDecision } from './support/api';

const prisma = testPrisma();
const events = new EventCollector(Topics.orderEvents);
beforeAll(() => events.start());
afterAll(async () => {
  await events.stop();
  await prisma.$disconnect();
});

const owner = customerToken('CUST40');

/** Waits until the outbox holds nothing unpublished for this order, then returns the event types seen. */
async function eventTypes(orderId: string, expectedCount: number): Promise<string[]> {
  await waitFor(async () => (await prisma.outboxEvent.count({ where: { aggregateId: orderId, publishedAt: null } })) === 0, {
    what: 'the outbox to drain',
  });
  await waitFor(() => events.received(orderId).length >= expectedCount, { what: `${expectedCount} events for ${orderId}` });
  return events.received(orderId).map((e) => e.type);
}

describe('order events (transactional outbox → orders.events)', () => {
  it('a full lifecycle publishes exactly its events, in order, each with the order as it became', async () => {
    const product = await createTestProduct(prisma, { stock: 5 });
    const order = await confirmedOrder(owner, [{ productId: product.id, quantity: 1 }]);
    await api().patch(`/api/v1/orders/${order.id}`).set(bearer(owner)).send({ shippingAddress: newAddress }).expect(200);
    await api()
      .patch(`/api/v1/orders/${order.id}`)
      .set(bearer(adminToken()))
      .send({ status: 'SHIPPED', trackingCompany: 'DHL', trackingNumber: '42' })
      .expect(200);
    await api().patch(`/api/v1/orders/${order.id}`).set(bearer(adminToken())).send({ status: 'DELIVERED' }).expect(200);

    expect(await eventTypes(order.id, 4)).toEqual(['OrderConfirmed', 'OrderUpdated', 'OrderShipped', 'OrderDelivered']);
    const received = events.received(order.id);
    expect(received.map((e) => (e.payload as { order: { status: string } }).order.status)).toEqual([
      'CONFIRMED',
      'CONFIRMED',
      'SHIPPED',
      'DELIVERED',
    ]);
    expect(new Set(received.map((e) => e.messageId)).size).toBe(4);
    // each at its contract's version (docs/architecture.md#changing-a-message)
    expect(received.map((e) => e.version)).toEqual(received.map((e) => OrderEvents[e.type as keyof typeof OrderEvents].version));
    expect(await prisma.outboxEvent.count({ where: { aggregateId: order.id } })).toBe(4);
  });

  it('cancel → OrderConfirmed, OrderCancelled (a repeated cancel adds nothing)', async () => {
    const product = await createTestProduct(prisma, { stock: 5 });
    const order = await confirmedOrder(owner, [{ productId: product.id, quantity: 1 }]);
    await api().delete(`/api/v1/orders/${order.id}`).set(bearer(owner)).expect(200);
    await api().delete(`/api/v1/orders/${order.id}`).set(bearer(owner)).expect(200);
    expect(await eventTypes(order.id, 2)).toEqual(['OrderConfirmed', 'OrderCancelled']);
  });

  it('a rejection → OrderRejected with its reason', async () => {
    const id = await placeOrder(customerToken('CUST50'), orderBody([{ productId: 'PROD-0001', quantity: 1 }]));
    await waitForDecision(id);
    expect(await eventTypes(id, 1)).toEqual(['OrderRejected']);
    expect(events.received(id)[0].payload).toMatchObject({ order: { status: 'REJECTED', rejectionReason: 'CUSTOMER_BLOCKED' } });
  });
});
