import { createTestProduct, stockOf, testPrisma } from '@orderline/testing';
import { api, customerToken, orderBody, waitForDecision } from './support/api';

const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

it('200 concurrent orders for a product with stock 50 → exactly 50 CONFIRMED, stock 0', async () => {
  const product = await createTestProduct(prisma, { stock: 50, unitPrice: '2.00' });
  const tokens = Array.from({ length: 10 }, (_, i) => customerToken(`CUST${String(i + 1).padStart(2, '0')}`));

  const responses = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      api()
        .post('/api/v1/orders')
        .set('authorization', `Bearer ${tokens[i % tokens.length]}`)
        .send(orderBody([{ productId: product.id, quantity: 1 }])),
    ),
  );
  expect(responses.map((r) => r.status)).toEqual(Array(200).fill(202));
  const ids = responses.map((r) => r.body.id as string);
  expect(new Set(ids).size).toBe(200);

  const orders = await Promise.all(ids.map((id) => waitForDecision(id, undefined, 60_000)));
  const confirmed = orders.filter((o) => o.status === 'CONFIRMED');
  const rejected = orders.filter((o) => o.status === 'REJECTED');
  expect(confirmed).toHaveLength(50);
  expect(rejected).toHaveLength(150);
  expect(new Set(rejected.map((o) => o.rejectionReason))).toEqual(new Set(['OUT_OF_STOCK']));
  expect(await stockOf(prisma, product.id)).toBe(0);
  const reserved = await prisma.stockReservation.aggregate({ where: { productId: product.id }, _sum: { quantity: true } });
  expect(reserved._sum.quantity).toBe(50);
});
