import { createTestProduct, stockOf, testPrisma } from '@orderline/testing';
import { adminToken, api, bearer, confirmedOrder, customerToken, orderBody, placeOrder, waitForDecision } from './support/api';

const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

const owner = customerToken('CUST22');

describe('DELETE /api/v1/orders/:id', () => {
  it('cancels a CONFIRMED order, returns its stock, keeps the row; repeating is harmless', async () => {
    const a = await createTestProduct(prisma, { stock: 10 });
    const b = await createTestProduct(prisma, { stock: 4 });
    const order = await confirmedOrder(owner, [
      { productId: a.id, quantity: 3 },
      { productId: b.id, quantity: 4 },
    ]);
    expect([await stockOf(prisma, a.id), await stockOf(prisma, b.id)]).toEqual([7, 0]);

    const res = await api().delete(`/api/v1/orders/${order.id}`).set(bearer(owner));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: order.id, status: 'CANCELLED', totalAmount: order.totalAmount });
    expect([await stockOf(prisma, a.id), await stockOf(prisma, b.id)]).toEqual([10, 4]);

    const again = await api().delete(`/api/v1/orders/${order.id}`).set(bearer(adminToken()));
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('CANCELLED');
    expect([await stockOf(prisma, a.id), await stockOf(prisma, b.id)]).toEqual([10, 4]);

    const read = await api().get(`/api/v1/orders/${order.id}`).set(bearer(owner));
    expect(read.body.status).toBe('CANCELLED');
  });

  it('409 once SHIPPED, DELIVERED or REJECTED', async () => {
    const product = await createTestProduct(prisma, { stock: 5 });
    const shipped = await confirmedOrder(owner, [{ productId: product.id, quantity: 1 }]);
    await api()
      .patch(`/api/v1/orders/${shipped.id}`)
      .set(bearer(adminToken()))
      .send({ status: 'SHIPPED', trackingCompany: 'DHL', trackingNumber: '1' })
      .expect(200);
    const res = await api().delete(`/api/v1/orders/${shipped.id}`).set(bearer(owner));
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('SHIPPED');

    await api().patch(`/api/v1/orders/${shipped.id}`).set(bearer(adminToken())).send({ status: 'DELIVERED' }).expect(200);
    expect((await api().delete(`/api/v1/orders/${shipped.id}`).set(bearer(owner))).status).toBe(409);

    const rejected = await waitForDecision(await placeOrder(owner, orderBody([{ productId: product.id, quantity: 99 }])));
    expect(rejected.status).toBe('REJECTED');
    const cancelRejected = await api().delete(`/api/v1/orders/${rejected.id}`).set(bearer(owner));
    expect(cancelRejected.status).toBe(409);
    expect(cancelRejected.body.detail).toContain('REJECTED');
    expect(await stockOf(prisma, product.id)).toBe(4);
  });

  it('another customer cancelling → 404 and nothing changes (IDOR)', async () => {
    const product = await createTestProduct(prisma, { stock: 5 });
    const order = await confirmedOrder(owner, [{ productId: product.id, quantity: 2 }]);
    const res = await api()
      .delete(`/api/v1/orders/${order.id}`)
      .set(bearer(customerToken('CUST23')));
    expect(res.status).toBe(404);
    expect((await api().get(`/api/v1/orders/${order.id}`).set(bearer(owner))).body.status).toBe('CONFIRMED');
    expect(await stockOf(prisma, product.id)).toBe(3);
  });

  it('cancels racing the confirmation leave stock exactly right', async () => {
    const product = await createTestProduct(prisma, { stock: 30 });
    // 30 orders of 1; each is cancelled the moment it is accepted, racing its confirmation.
    const orders = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const id = await placeOrder(owner, orderBody([{ productId: product.id, quantity: 1 }]));
        const cancel = i % 3 !== 0; // cancel two out of three
        const res = cancel ? await api().delete(`/api/v1/orders/${id}`).set(bearer(owner)) : undefined;
        return { id, cancel, status: res?.status };
      }),
    );
    for (const o of orders.filter((x) => x.cancel)) expect(o.status).toBe(200);
    const finals = await Promise.all(orders.map((o) => waitForDecision(o.id)));
    const kept = finals.filter((o) => o.status === 'CONFIRMED').length;
    expect(finals.filter((o) => o.status === 'CANCELLED')).toHaveLength(20);
    expect(kept).toBe(10);
    expect(await stockOf(prisma, product.id)).toBe(30 - kept);
    const reserved = await prisma.stockReservation.aggregate({
      where: { productId: product.id, status: 'RESERVED' },
      _sum: { quantity: true },
    });
    expect(reserved._sum.quantity).toBe(kept);
  });
});
