import { createTestProduct, stockOf, testPrisma } from '@orderline/testing';
import { api, bearer, customerToken, orderBody, waitForDecision } from './support/api';

const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

const post = (token: string, key: string, body: object) =>
  api().post('/api/v1/orders').set(bearer(token)).set('idempotency-key', key).send(body);

describe('Idempotency-Key on POST /api/v1/orders', () => {
  it('20 parallel requests with one key → one order, the same id and 202 for all, stock reserved once', async () => {
    const product = await createTestProduct(prisma, { stock: 50 });
    const key = `key-${Date.now()}-${Math.random()}`;
    const body = orderBody([{ productId: product.id, quantity: 3 }]);
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(customerToken('CUST30'), key, body)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    expect(responses[0].headers['location']).toBe(`/api/v1/orders/${id}`);

    const order = await waitForDecision(id);
    expect(order.status).toBe('CONFIRMED');
    expect(await prisma.order.count({ where: { idempotencyKey: key } })).toBe(1);
    expect(await stockOf(prisma, product.id)).toBe(47);

    const later = await post(customerToken('CUST30'), key, body); // after the decision, still the same order
    expect(later.status).toBe(202);
    expect(later.body.id).toBe(id);
    expect(await stockOf(prisma, product.id)).toBe(47);
  });

  it('the same key with a different body → 422, and the first order stands', async () => {
    const product = await createTestProduct(prisma, { stock: 50 });
    const key = `key-${Date.now()}-${Math.random()}`;
    const first = await post(customerToken('CUST31'), key, orderBody([{ productId: product.id, quantity: 1 }]));
    expect(first.status).toBe(202);
    const second = await post(customerToken('CUST31'), key, orderBody([{ productId: product.id, quantity: 2 }]));
    expect(second.status).toBe(422);
    expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(second.body.type).toBe('/problems/idempotency-key-reused');
    expect((await waitForDecision(first.body.id)).items[0].quantity).toBe(1);
  });

  it('keys are scoped per customer', async () => {
    const product = await createTestProduct(prisma, { stock: 50 });
    const key = `shared-${Date.now()}`;
    const body = orderBody([{ productId: product.id, quantity: 1 }]);
    const a = await post(customerToken('CUST32'), key, body);
    const b = await post(customerToken('CUST33'), key, body);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.id).not.toBe(b.body.id);
  });

  it('a key over 255 characters → 400', async () => {
    const res = await post(customerToken('CUST34'), 'k'.repeat(256), orderBody([{ productId: 'PROD-0001', quantity: 1 }]));
    expect(res.status).toBe(400);
  });
});
