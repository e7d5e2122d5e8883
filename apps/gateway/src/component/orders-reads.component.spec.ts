import request from 'supertest';
import type { Order } from '@orderline/contracts';
import { validAddress } from '@orderline/testing';
import { OrderLists } from '../messaging/order-lists';
import { bearer, buildOrder, gatewayUnderTest, pendingOrder, type FakeBackend } from './fake-backend';

/**
 * Reads and admission at the HTTP edge: an accepted, undecided order is answered PENDING without
 * asking anyone; a recently changed one from the view of orders.events; any other by LookupOrder; an order accepted elsewhere a moment ago is waited
 * for; new orders are refused while decisions lag.
 */
const pendingId = '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const storedId = '7f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const lateId = '8f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const accepted = (orderId: string) =>
  pendingOrder({ orderId, customerId: 'CUST01', items: [{ productId: 'P1', quantity: 2 }], shippingAddress: validAddress });

let app: ReturnType<typeof gatewayUnderTest>['app'];
let backend: FakeBackend;

beforeEach(() => {
  ({ app, backend } = gatewayUnderTest());
  backend.accepted.set(pendingId, accepted(pendingId));
  backend.store(buildOrder({ id: storedId, customerId: 'CUST01' }));
  // the order another instance accepted arrives while this one catches up
  backend.onCatchUp = () => backend.accepted.set(lateId, accepted(lateId));
});

describe('GET /api/v1/orders/:id', () => {
  it('answers an accepted, undecided order PENDING (ETag "0") without asking order-management', async () => {
    const res = await request(app).get(`/api/v1/orders/${pendingId}`).set(bearer('CUST01'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: pendingId, status: 'PENDING', version: 0 });
    expect(res.headers['etag']).toBe('"0"');
    expect(backend.sent()).toEqual([]);
  });

  it("is 404 for another customer's undecided order, 200 for an admin", async () => {
    expect((await request(app).get(`/api/v1/orders/${pendingId}`).set(bearer('CUST02'))).status).toBe(404);
    expect((await request(app).get(`/api/v1/orders/${pendingId}`).set(bearer('ADMIN01', 'admin'))).status).toBe(200);
  });

  it('reads a stored order from order-management (LookupOrder on the query topic)', async () => {
    const res = await request(app).get(`/api/v1/orders/${storedId}`).set(bearer('CUST01'));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CONFIRMED');
    expect(backend.sent()).toEqual(['LookupOrder']);
    expect(backend.catchUps).toBe(1); // the log is read up to now side by side, in case it was accepted elsewhere a moment ago
  });

  it("answers a recently changed order as this instance's view of orders.events has it, without asking order-management; another customer's is 404", async () => {
    const recentId = '5f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
    backend.recent.set(recentId, buildOrder({ id: recentId, customerId: 'CUST01', status: 'SHIPPED', version: 3 }));
    const res = await request(app).get(`/api/v1/orders/${recentId}`).set(bearer('CUST01'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: recentId, status: 'SHIPPED', version: 3 });
    expect(res.headers['etag']).toBe('"3"');
    expect((await request(app).get(`/api/v1/orders/${recentId}`).set(bearer('CUST02'))).status).toBe(404);
    expect(backend.sent()).toEqual([]);
  });

  it('after a change through this instance, a read shows it at once from the view (read-your-writes)', async () => {
    const changed = await request(app).delete(`/api/v1/orders/${storedId}`).set(bearer('CUST01'));
    expect(changed.status).toBe(200);
    const read = await request(app).get(`/api/v1/orders/${storedId}`).set(bearer('CUST01'));
    expect(read.body).toMatchObject({ status: 'CANCELLED', version: changed.body.version });
    expect(backend.sent()).toEqual(['CancelOrder']);
  });

  it('waits for this instance to read every order accepted before the request, then answers PENDING', async () => {
    const res = await request(app).get(`/api/v1/orders/${lateId}`).set(bearer('CUST01'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: lateId, status: 'PENDING' });
    expect(backend.catchUps).toBe(1);
  });

  it('is 404 for an order nobody accepted', async () => {
    const res = await request(app).get('/api/v1/orders/9f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f').set(bearer('CUST01'));
    expect(res.status).toBe(404);
  });
});

describe('POST /api/v1/orders: admission control', () => {
  const place = () =>
    request(app)
      .post('/api/v1/orders')
      .set(bearer('CUST01'))
      .send({ items: [{ productId: 'P1', quantity: 1 }], shippingAddress: validAddress });

  it('accepts while the decisions are within the bound, and the new order reads PENDING at once', async () => {
    backend.expectedWaitMs = 4_900;
    const res = await place();
    expect(res.status).toBe(202);
    expect(backend.published).toHaveLength(1);
    expect((await request(app).get(`/api/v1/orders/${res.body.id}`).set(bearer('CUST01'))).body.status).toBe('PENDING');
  });

  it('answers 503 problem+json with Retry-After while the decisions are further behind, publishing nothing', async () => {
    backend.expectedWaitMs = 12_300;
    const res = await place();
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('8');
    expect(res.body.detail).toMatch(/12\.3 s behind/);
    expect(backend.published).toEqual([]);
  });
});

describe("GET /api/v1/orders: a customer's first page, answered by this instance", () => {
  const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, second)).toISOString();
  const idOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  let listed: ReturnType<typeof gatewayUnderTest>;
  beforeEach(() => {
    listed = gatewayUnderTest((backend) => ({
      orderLists: new OrderLists({ changes: backend.changes, maxBytes: 1_048_576, idleMs: 60_000, refreshMs: 30_000 }),
    }));
    listed.backend.store(buildOrder({ id: idOf(1), customerId: 'CUST01', createdAt: at(1) }));
  });
  const list = (auth = bearer('CUST01'), query = '') => request(listed.app).get(`/api/v1/orders${query}`).set(auth);

  it('asks order-management once; then shows orders decided and changed since, as orders.events tells this instance', async () => {
    expect((await list()).body.items.map((o: Order) => o.id)).toEqual([idOf(1)]);
    listed.backend.emit('OrderConfirmed', buildOrder({ id: idOf(2), customerId: 'CUST01', createdAt: at(2) }));
    listed.backend.emit(
      'OrderCancelled',
      buildOrder({ id: idOf(1), customerId: 'CUST01', createdAt: at(1), status: 'CANCELLED', version: 2 }),
    );
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.body.items.map((o: Order) => [o.id, o.status])).toEqual([
      [idOf(2), 'CONFIRMED'],
      [idOf(1), 'CANCELLED'],
    ]);
    expect(res.body.nextCursor).toBeNull();
    expect(listed.backend.sent()).toEqual(['ListOrders']);
  });

  it('a change through this instance shows in the list at once', async () => {
    await list();
    await request(listed.app)
      .delete(`/api/v1/orders/${idOf(1)}`)
      .set(bearer('CUST01'))
      .expect(200);
    expect((await list()).body.items[0]).toMatchObject({ id: idOf(1), status: 'CANCELLED' });
    expect(listed.backend.sent()).toEqual(['ListOrders', 'CancelOrder']);
  });

  it("later pages, admins' lists and one customer's list asked for by id go to order-management every time", async () => {
    await list(bearer('CUST01'), '?cursor=abc');
    await list(bearer('CUST01'), '?cursor=abc');
    await list(bearer('ADMIN01', 'admin'));
    await list(bearer('ADMIN01', 'admin'));
    await list(bearer('CUST01'), '?customerId=CUST01');
    expect(listed.backend.sent()).toEqual(['ListOrders', 'ListOrders', 'ListOrders', 'ListOrders', 'ListOrders']);
    // another customer's page is theirs alone
    await list(bearer('CUST02'));
    expect((await list(bearer('CUST02'))).body.items).toEqual([]);
  });
});
