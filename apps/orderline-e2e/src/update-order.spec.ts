import { createTestProduct, testPrisma } from '@orderline/testing';
import { adminToken, api, bearer, confirmedOrder, customerToken, newAddress } from './support/api';

const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

const owner = customerToken('CUST20');
const stranger = customerToken('CUST21');

async function anOrder() {
  const product = await createTestProduct(prisma, { stock: 10 });
  return confirmedOrder(owner, [{ productId: product.id, quantity: 1 }]);
}

describe('PATCH /api/v1/orders/:id', () => {
  it('the owner changes the shipping address while CONFIRMED; PUT is an alias', async () => {
    const order = await anOrder();
    const res = await api().patch(`/api/v1/orders/${order.id}`).set(bearer(owner)).send({ shippingAddress: newAddress });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: order.id, status: 'CONFIRMED', shippingAddress: newAddress });
    expect(res.body.updatedAt > order.updatedAt).toBe(true);

    const put = await api()
      .put(`/api/v1/orders/${order.id}`)
      .set(bearer(owner))
      .send({ shippingAddress: { ...newAddress, city: 'Bremen' } });
    expect(put.status).toBe(200);
    expect(put.body.shippingAddress.city).toBe('Bremen');
  });

  it('an admin ships (with tracking) and delivers; afterwards the address is frozen (409 naming the status)', async () => {
    const order = await anOrder();
    const shipped = await api()
      .patch(`/api/v1/orders/${order.id}`)
      .set(bearer(adminToken()))
      .send({ status: 'SHIPPED', trackingCompany: 'DHL', trackingNumber: 'JJD000390007' });
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({ status: 'SHIPPED', trackingCompany: 'DHL', trackingNumber: 'JJD000390007' });

    const frozen = await api().patch(`/api/v1/orders/${order.id}`).set(bearer(owner)).send({ shippingAddress: newAddress });
    expect(frozen.status).toBe(409);
    expect(frozen.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(frozen.body.detail).toContain('SHIPPED');

    const delivered = await api().patch(`/api/v1/orders/${order.id}`).set(bearer(adminToken())).send({ status: 'DELIVERED' });
    expect(delivered.status).toBe(200);
    expect(delivered.body.status).toBe('DELIVERED');

    const again = await api().patch(`/api/v1/orders/${order.id}`).set(bearer(adminToken())).send({ status: 'DELIVERED' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('DELIVERED');
  });

  it('illegal moves are 409: deliver before shipping, ship a cancelled order', async () => {
    const order = await anOrder();
    const early = await api().patch(`/api/v1/orders/${order.id}`).set(bearer(adminToken())).send({ status: 'DELIVERED' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain('CONFIRMED');
    await api().delete(`/api/v1/orders/${order.id}`).set(bearer(owner)).expect(200);
    const ship = await api()
      .patch(`/api/v1/orders/${order.id}`)
      .set(bearer(adminToken()))
      .send({ status: 'SHIPPED', trackingCompany: 'UPS', trackingNumber: '1Z999' });
    expect(ship.status).toBe(409);
    expect(ship.body.detail).toContain('CANCELLED');
  });

  it('a customer setting a status → 403, and nothing changes', async () => {
    const order = await anOrder();
    const res = await api()
      .patch(`/api/v1/orders/${order.id}`)
      .set(bearer(owner))
      .send({ status: 'SHIPPED', trackingCompany: 'DHL', trackingNumber: '1' });
    expect(res.status).toBe(403);
    const after = await api().get(`/api/v1/orders/${order.id}`).set(bearer(owner));
    expect(after.body.status).toBe('CONFIRMED');
  });

  it("another customer's order → 404, and nothing changes (IDOR)", async () => {
    const order = await anOrder();
    const res = await api().patch(`/api/v1/orders/${order.id}`).set(bearer(stranger)).send({ shippingAddress: newAddress });
    expect(res.status).toBe(404);
    const after = await api().get(`/api/v1/orders/${order.id}`).set(bearer(owner));
    expect(after.body.shippingAddress).toEqual(order.shippingAddress);
    expect(after.body.updatedAt).toBe(order.updatedAt);
  });

  it.each([
    ['an id in the body', { id: '00000000-0000-4000-8000-000000000000', shippingAddress: newAddress }, 'body.id'],
    ['an orderId in the body', { orderId: '00000000-0000-4000-8000-000000000000' }, 'body.orderId'],
    ['an empty body', {}, 'body'],
    ['SHIPPED without tracking', { status: 'SHIPPED' }, 'body.status'],
    ['tracking without SHIPPED', { trackingNumber: '1' }, 'body.trackingCompany'],
    ['an unknown status', { status: 'LOST' }, 'body.status'],
    ['a price', { totalAmount: '0.01' }, 'body.totalAmount'],
  ])('rejects %s with 400', async (_name, body, path) => {
    const order = await anOrder();
    const res = await api().patch(`/api/v1/orders/${order.id}`).set(bearer(adminToken())).send(body);
    expect(res.status).toBe(400);
    expect(res.body.errors.some((e: { path: string }) => e.path.startsWith(path))).toBe(true);
  });

  it('an unknown order → 404', async () => {
    const res = await api()
      .patch('/api/v1/orders/00000000-0000-4000-8000-000000000000')
      .set(bearer(adminToken()))
      .send({ shippingAddress: newAddress });
    expect(res.status).toBe(404);
  });
});
