import jwt from 'jsonwebtoken';
import { createTestProduct, signToken, testPrisma } from '@orderline/testing';
import { adminToken, api, customerToken, orderBody, placeOrder, waitForDecision } from './support/api';

const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

const expectProblem = (res: { status: number; headers: Record<string, string>; body: Record<string, unknown> }, status: number) => {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//), correlationId: expect.any(String) });
};

describe('authentication', () => {
  const anyOrder = '00000000-0000-4000-8000-000000000000';
  const badTokens: [string, () => string | undefined][] = [
    ['no Authorization header', () => undefined],
    ['a token signed with another secret', () => signToken({ sub: 'CUST01', role: 'customer' }, { secret: 'not-the-secret-0123456789' })],
    ['an expired token', () => signToken({ sub: 'CUST01', role: 'customer' }, { expiresInSeconds: -60 })],
    ['an unsigned token (alg none)', () => jwt.sign({ sub: 'CUST01', role: 'admin' }, '', { algorithm: 'none' })],
    ['a token without role', () => jwt.sign({ sub: 'CUST01' }, 'dev-secret-change-me', { expiresIn: 60 })],
    ['a token without exp', () => jwt.sign({ sub: 'CUST01', role: 'customer' }, 'dev-secret-change-me')],
    ['garbage', () => 'not.a.jwt'],
  ];

  it.each(badTokens)('answers 401 problem+json for %s', async (_name, token) => {
    for (const req of [
      api().get(`/api/v1/orders/${anyOrder}`),
      api().get('/api/v1/products'),
      api()
        .post('/api/v1/orders')
        .send(orderBody([{ productId: 'PROD-0001', quantity: 1 }])),
    ]) {
      const t = token();
      const res = t ? await req.set('authorization', `Bearer ${t}`) : await req;
      expectProblem(res, 401);
    }
  });

  it("hides another customer's order (404, same as absent) but shows it to its owner and to admins", async () => {
    const product = await createTestProduct(prisma, { stock: 5 });
    const id = await placeOrder(customerToken('CUST04'), orderBody([{ productId: product.id, quantity: 1 }]));
    await waitForDecision(id);

    const other = await api()
      .get(`/api/v1/orders/${id}`)
      .set('authorization', `Bearer ${customerToken('CUST05')}`);
    expectProblem(other, 404);
    const absent = await api()
      .get('/api/v1/orders/11111111-1111-4111-8111-111111111111')
      .set('authorization', `Bearer ${customerToken('CUST05')}`);
    expectProblem(absent, 404);
    expect(other.body.title).toBe(absent.body.title);

    expect(
      (
        await api()
          .get(`/api/v1/orders/${id}`)
          .set('authorization', `Bearer ${customerToken('CUST04')}`)
      ).status,
    ).toBe(200);
    expect((await api().get(`/api/v1/orders/${id}`).set('authorization', `Bearer ${adminToken()}`)).status).toBe(200);
  });

  it('forbids a customer to order for someone else (403)', async () => {
    const res = await api()
      .post('/api/v1/orders')
      .set('authorization', `Bearer ${customerToken('CUST06')}`)
      .send(orderBody([{ productId: 'PROD-0001', quantity: 1 }], { customerId: 'CUST07' }));
    expectProblem(res, 403);
  });
});
