import request from 'supertest';
import { bearer, buildOrder, gatewayUnderTest, type FakeBackend } from './fake-backend';

/**
 * ETag / If-Match at the HTTP edge, with order-management keeping the order's version the way
 * its replies promise (the rule itself is tested in order-management and in e2e).
 */
const orderId = '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const owner = bearer('CUST01');
const address = { line1: '9 New Road', city: 'Hamburg', postalCode: '20095', country: 'DE' };

let app: ReturnType<typeof gatewayUnderTest>['app'];
let backend: FakeBackend;

beforeEach(() => {
  ({ app, backend } = gatewayUnderTest());
  backend.store(buildOrder({ id: orderId, customerId: 'CUST01', version: 2 }));
});

const order = () => backend.stored.get(orderId);
const types = () =>
  backend.requests.map((s) => `${s.type}${s.payload['expectedVersion'] === undefined ? '' : ` @${String(s.payload['expectedVersion'])}`}`);

describe('GET /api/v1/orders/:id', () => {
  it('sends the version as a strong ETag; a matching If-None-Match is a 304', async () => {
    const res = await request(app).get(`/api/v1/orders/${orderId}`).set(owner);
    expect(res.status).toBe(200);
    expect(res.headers['etag']).toBe('"2"');
    expect(res.body.version).toBe(2);

    const unchanged = await request(app).get(`/api/v1/orders/${orderId}`).set(owner).set('if-none-match', '"2"');
    expect(unchanged.status).toBe(304);
    const changed = await request(app).get(`/api/v1/orders/${orderId}`).set(owner).set('if-none-match', '"1"');
    expect(changed.status).toBe(200);
  });
});

describe.each(['patch', 'put'] as const)('%s /api/v1/orders/:id', (method) => {
  const change = () => request(app)[method](`/api/v1/orders/${orderId}`).set(owner).send({ shippingAddress: address });

  it('with If-Match of the current version: sent against it, 200 with the new ETag', async () => {
    const res = await change().set('if-match', '"2"');
    expect(res.status).toBe(200);
    expect(res.headers['etag']).toBe('"3"');
    expect(res.body).toMatchObject({ version: 3, shippingAddress: address });
    expect(types()).toEqual(['UpdateOrder @2']);
  });

  it('with a stale If-Match: 412 problem+json naming the current version, nothing changed', async () => {
    const res = await change().set('if-match', '"1"');
    expect(res.status).toBe(412);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: '/problems/precondition-failed', status: 412, detail: expect.stringContaining('version 2') });
    expect(order()?.version).toBe(2);
  });

  it('with a list of tags: the current version must be among them', async () => {
    expect((await change().set('if-match', 'W/"2", "abc"')).status).toBe(412); // a weak tag never matches
    expect(types()).toEqual(['GetOrder']);
    expect((await change().set('if-match', '"1", W/"2"')).status).toBe(412); // one usable version: sent against it
    expect(types()).toEqual(['GetOrder', 'UpdateOrder @1']);
    const res = await change().set('if-match', '"7", "2"');
    expect(res.status).toBe(200);
    expect(types()).toEqual(['GetOrder', 'UpdateOrder @1', 'GetOrder', 'UpdateOrder @2']);
  });

  it('without If-Match: reads the order and sends the change against the version read', async () => {
    const res = await change();
    expect(res.status).toBe(200);
    expect(res.headers['etag']).toBe('"3"');
    expect(types()).toEqual(['GetOrder', 'UpdateOrder @2']);
  });

  it('without If-Match, losing races: reads again, 409 after 3 attempts', async () => {
    backend.racingChanges = 1;
    expect((await change()).status).toBe(200);
    expect(types()).toEqual(['GetOrder', 'UpdateOrder @2', 'GetOrder', 'UpdateOrder @3']);

    backend.requests.length = 0;
    backend.racingChanges = 3;
    const res = await change();
    expect(res.status).toBe(409);
    expect(res.body.type).toBe('/problems/conflict');
    expect(types()).toEqual(['GetOrder', 'UpdateOrder @4', 'GetOrder', 'UpdateOrder @5', 'GetOrder', 'UpdateOrder @6']);
  });

  it('a malformed If-Match: 400 naming the header, nothing sent', async () => {
    const res = await change().set('if-match', '2');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'headers.if-match', message: expect.any(String) }]);
    expect(backend.requests).toEqual([]);
  });
});

describe('DELETE /api/v1/orders/:id', () => {
  const cancel = () => request(app).delete(`/api/v1/orders/${orderId}`).set(owner);

  it('without If-Match (or with *): cancels whatever the version, 200 with the new ETag', async () => {
    const res = await cancel();
    expect(res.status).toBe(200);
    expect(res.headers['etag']).toBe('"3"');
    expect((await cancel().set('if-match', '*')).status).toBe(200);
    expect(types()).toEqual(['CancelOrder', 'CancelOrder']);
  });

  it('with If-Match: only that version; a stale one is 412', async () => {
    expect((await cancel().set('if-match', '"1"')).status).toBe(412);
    expect(order()?.status).toBe('CONFIRMED');
    const res = await cancel().set('if-match', '"2"');
    expect(res.status).toBe(200);
    expect(res.headers['etag']).toBe('"3"');
    expect(types()).toEqual(['CancelOrder @1', 'CancelOrder @2']);
  });
});
