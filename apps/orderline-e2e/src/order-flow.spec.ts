import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createTestProduct, stockOf, testPrisma, waitFor } from '@orderline/testing';
import { adminToken, api, customerToken, orderBody, placeOrder, waitForDecision } from './support/api';

const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

describe('create → confirm → read', () => {
  it('confirms an order with prices and total from inventory, and reserves the stock', async () => {
    const a = await createTestProduct(prisma, { stock: 10, unitPrice: '19.99' });
    const b = await createTestProduct(prisma, { stock: 5, unitPrice: '0.05' });
    const token = customerToken('CUST01');

    const res = await api()
      .post('/api/v1/orders')
      .set('authorization', `Bearer ${token}`)
      .send(
        orderBody([
          { productId: a.id, quantity: 3 },
          { productId: b.id, quantity: 5 },
        ]),
      );
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'PENDING' });
    expect(res.headers['location']).toBe(`/api/v1/orders/${res.body.id}`);

    const order = await waitForDecision(res.body.id, token);
    expect(order).toMatchObject({
      id: res.body.id,
      customerId: 'CUST01',
      status: 'CONFIRMED',
      totalAmount: '60.22', // 3 × 19.99 + 5 × 0.05
      rejectionReason: null,
      trackingCompany: null,
      trackingNumber: null,
      shippingAddress: { line1: '1 Test Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
    });
    expect(order.items).toEqual(
      [
        { productId: a.id, quantity: 3, unitPrice: '19.99' },
        { productId: b.id, quantity: 5, unitPrice: '0.05' },
      ].sort((x, y) => (x.productId < y.productId ? -1 : 1)),
    );
    expect(new Date(order.createdAt).toISOString()).toBe(order.createdAt);
    expect(await stockOf(prisma, a.id)).toBe(7);
    expect(await stockOf(prisma, b.id)).toBe(0);
  });

  it('ignores client-sent prices: unknown fields are rejected, nothing is published', async () => {
    const a = await createTestProduct(prisma, { stock: 10, unitPrice: '5.00' });
    const res = await api()
      .post('/api/v1/orders')
      .set('authorization', `Bearer ${customerToken()}`)
      .send(orderBody([{ productId: a.id, quantity: 1, unitPrice: '0.01' } as never]));
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path: 'body.items.0.unitPrice', message: 'unknown field' });
    expect(await stockOf(prisma, a.id)).toBe(10);
  });

  it('lets an admin place an order for a customer and read it', async () => {
    const a = await createTestProduct(prisma, { stock: 3, unitPrice: '1.50' });
    const id = await placeOrder(adminToken(), orderBody([{ productId: a.id, quantity: 2 }], { customerId: 'CUST02' }));
    const order = await waitForDecision(id, adminToken());
    expect(order).toMatchObject({ customerId: 'CUST02', status: 'CONFIRMED', totalAmount: '3.00' });
    // the customer sees it as theirs
    const own = await api()
      .get(`/api/v1/orders/${id}`)
      .set('authorization', `Bearer ${customerToken('CUST02')}`);
    expect(own.status).toBe(200);
  });

  it("carries the caller's correlation id to the response and to order-management's log", async () => {
    const a = await createTestProduct(prisma, { stock: 3 });
    const correlationId = `e2e-${Date.now()}`;
    const res = await api()
      .post('/api/v1/orders')
      .set('authorization', `Bearer ${customerToken()}`)
      .set('x-correlation-id', correlationId)
      .send(orderBody([{ productId: a.id, quantity: 1 }]));
    expect(res.headers['x-correlation-id']).toBe(correlationId);
    await waitForDecision(res.body.id);
    const logDir = process.env['SYSTEM_LOG_DIR'] as string;
    const line = await waitFor(
      () =>
        readdirSync(logDir)
          .filter((file) => file.startsWith('order-management'))
          .flatMap((file) => readFileSync(path.join(logDir, file), 'utf8').split('\n'))
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l))
          .find((entry) => entry.correlationId === correlationId && entry.message === 'order decided'),
      { what: 'the decision log line in an order-management log' },
    );
    expect(line).toMatchObject({ service: 'order-management', orderId: res.body.id, outcome: 'CONFIRMED' });
  });
});

describe('rejections', () => {
  type Line = { productId: string; quantity: number };
  const cases: { reason: string; token: () => string; extra?: Record<string, unknown>; items: (productId: string) => Line[] }[] = [
    {
      reason: 'UNKNOWN_CUSTOMER',
      token: () => adminToken(),
      extra: { customerId: 'NO-SUCH-CUSTOMER' },
      items: (productId) => [{ productId, quantity: 1 }],
    },
    { reason: 'CUSTOMER_BLOCKED', token: () => customerToken('CUST50'), items: (productId) => [{ productId, quantity: 1 }] },
    {
      reason: 'UNKNOWN_PRODUCT',
      token: () => customerToken('CUST03'),
      items: (productId) => [
        { productId, quantity: 1 },
        { productId: 'NO-SUCH-PRODUCT', quantity: 1 },
      ],
    },
    { reason: 'OUT_OF_STOCK', token: () => customerToken('CUST03'), items: (productId) => [{ productId, quantity: 6 }] },
  ];

  it.each(cases)('rejects with $reason and leaves stock untouched', async ({ reason, token, extra, items }) => {
    const product = await createTestProduct(prisma, { stock: 5 });
    const id = await placeOrder(token(), orderBody(items(product.id), extra));
    const order = await waitForDecision(id);
    expect(order.status).toBe('REJECTED');
    expect(order.rejectionReason).toBe(reason);
    expect(order.totalAmount).toBeNull();
    expect(await stockOf(prisma, product.id)).toBe(5);
  });
});
