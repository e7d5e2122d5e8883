import { createTestProduct, stockOf, testPrisma, waitFor } from '@orderline/testing';
import { api, customerToken, orderBody } from './support/api';

const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

/**
 * Many large orders at once: 200 orders of 100 lines are ~1 MB of commands, ~1.6 MB of events and
 * 20,000 lines to reserve. Whenever many of them meet in one produce request, outbox batch or
 * reservation, that is more than Kafka takes in one message or request (1 MiB): the publisher and
 * the reservation requests split them (proved deterministically in publisher.spec.ts and
 * reservation-chunks.spec.ts); here, every order is decided and its event published.
 */
it('200 concurrent orders of 100 lines each → all CONFIRMED, stock taken exactly once', async () => {
  const products = await Promise.all(Array.from({ length: 100 }, () => createTestProduct(prisma, { stock: 1_000, unitPrice: '1.00' })));
  const items = products.map((product) => ({ productId: product.id, quantity: 1 }));
  const tokens = Array.from({ length: 10 }, (_, i) => customerToken(`CUST${String(i + 1).padStart(2, '0')}`));

  const responses = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      api()
        .post('/api/v1/orders')
        .set('authorization', `Bearer ${tokens[i % tokens.length]}`)
        .send(orderBody(items)),
    ),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(200).fill(202));
  const ids = responses.map((r) => r.body.id as string);

  await waitFor(async () => (await prisma.order.count({ where: { id: { in: ids }, status: { not: 'PENDING' } } })) === ids.length, {
    timeoutMs: 90_000,
    intervalMs: 250,
    what: 'all 200 large orders to be decided',
  });
  const decided = await prisma.order.groupBy({ by: ['status'], where: { id: { in: ids } }, _count: true });
  expect(decided).toEqual([{ status: 'CONFIRMED', _count: 200 }]);
  expect(await prisma.orderLineItem.count({ where: { orderId: { in: ids } } })).toBe(20_000);
  expect(await Promise.all(products.slice(0, 3).map((p) => stockOf(prisma, p.id)))).toEqual([800, 800, 800]);
  const total = await prisma.order.findFirstOrThrow({ where: { id: ids[0] }, select: { totalAmount: true } });
  expect(total.totalAmount?.toFixed(2)).toBe('100.00');
  // every order's event went out (the relay splits its 1.6 MB batch too)
  await waitFor(async () => (await prisma.outboxEvent.count({ where: { aggregateId: { in: ids }, publishedAt: null } })) === 0, {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: 'the 200 OrderConfirmed events to be published',
  });
  expect(await prisma.outboxEvent.count({ where: { aggregateId: { in: ids } } })).toBe(200);
}, 180_000);
