import request from 'supertest';
import { apiRoutes } from '@orderline/contracts';
import { validAddress } from '@orderline/testing';
import { DEFAULT_CUSTOMER_LIMITS, RATE_LIMITED_OPERATIONS, type CustomerLimits } from '../http/customer-limits';
import { bearer, buildOrder, gatewayUnderTest, type FakeBackend } from './fake-backend';

/**
 * Per-customer limits at the HTTP edge, with everything behind the gateway faked. The rate
 * limit's clock is the test's.
 */
const orderId = '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const body = (quantities: number[] = [1]) => ({
  items: quantities.map((quantity, i) => ({ productId: `PROD-000${i + 1}`, quantity })),
  shippingAddress: validAddress,
});

let backend: FakeBackend;
let nowMs: number;
let instances: number;

function appWith(limits?: CustomerLimits) {
  const gateway = gatewayUnderTest({ limits, instances: () => instances, now: () => nowMs });
  backend = gateway.backend;
  return gateway.app;
}

const small: CustomerLimits = { orderRequestsPerSecond: 10, orderRequestBurst: 20, maxQuantityPerProduct: 5 };

beforeEach(() => {
  nowMs = 1_000_000;
  instances = 1;
});

const post = (app: ReturnType<typeof appWith>, sub: string, quantities?: number[]) =>
  request(app).post('/api/v1/orders').set(bearer(sub)).send(body(quantities));

describe('the per-customer rate limit on order requests', () => {
  it('answers 202 with RateLimit-Policy and RateLimit, then 429 problem+json with Retry-After once the burst is used', async () => {
    const app = appWith(small);
    for (let i = 0; i < 20; i++) {
      const res = await post(app, 'CUST01');
      expect(res.status).toBe(202);
      expect(res.headers['ratelimit-policy']).toBe('"orders";q=20;w=2');
      expect(res.headers['ratelimit']).toBe(`"orders";r=${19 - i};t=${Math.ceil((i + 1) / 10)}`);
    }
    const refused = await post(app, 'CUST01').set('x-correlation-id', 'limit-test-1');
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['ratelimit-policy']).toBe('"orders";q=20;w=2');
    expect(refused.headers['ratelimit']).toBe('"orders";r=0;t=1');
    expect(refused.body).toEqual({
      type: '/problems/too-many-requests',
      title: expect.any(String),
      status: 429,
      detail: 'more than 10 order requests a second (bursts of 20) from CUST01; retry after 1 s',
      correlationId: 'limit-test-1',
    });
    expect(backend.published).toHaveLength(20); // the refused order was not sent
  });

  it('leaves a second customer unaffected, and lets the first one in again as tokens come back', async () => {
    const app = appWith(small);
    for (let i = 0; i < 20; i++) await post(app, 'CUST01');
    expect((await post(app, 'CUST01')).status).toBe(429);
    const other = await post(app, 'CUST02');
    expect(other.status).toBe(202);
    expect(other.headers['ratelimit']).toBe('"orders";r=19;t=1');

    nowMs += 50; // half a token
    expect((await post(app, 'CUST01')).status).toBe(429);
    nowMs += 50;
    expect((await post(app, 'CUST01')).status).toBe(202);
    expect((await post(app, 'CUST01')).status).toBe(429);
    nowMs += 1_000;
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await post(app, 'CUST01')).status);
    expect(statuses).toEqual([...Array(10).fill(202), 429]);
  });

  it('counts PATCH, PUT and DELETE in the same bucket, reads not at all', async () => {
    const app = appWith(small);
    backend.store(buildOrder({ id: orderId, customerId: 'CUST03' }));
    const customer = bearer('CUST03');
    for (let i = 0; i < 5; i++) {
      expect((await request(app).delete(`/api/v1/orders/${orderId}`).set(customer)).status).toBe(200);
      expect((await request(app).patch(`/api/v1/orders/${orderId}`).set(customer).send({ shippingAddress: validAddress })).status).toBe(
        200,
      );
      expect((await request(app).put(`/api/v1/orders/${orderId}`).set(customer).send({ shippingAddress: validAddress })).status).toBe(200);
      expect((await post(app, 'CUST03')).status).toBe(202);
    }
    const refused = await request(app).delete(`/api/v1/orders/${orderId}`).set(customer);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    const read = await request(app).get(`/api/v1/orders/${orderId}`).set(customer);
    expect(read.status).toBe(200);
    expect(read.headers['ratelimit']).toBeUndefined();
    expect((await request(app).get('/api/v1/orders').set(customer)).headers['ratelimit']).toBeUndefined();
  });

  it('takes no token for a request refused before it (400, 401, 422)', async () => {
    const app = appWith(small);
    for (let i = 0; i < 30; i++) {
      const res = await request(app).post('/api/v1/orders').set(bearer('CUST04')).send({ items: [] });
      expect(res.status).toBe(400);
      expect(res.headers['ratelimit']).toBeUndefined();
      expect((await post(app, 'CUST04', [6])).status).toBe(422);
    }
    expect((await post(app, 'CUST04')).headers['ratelimit']).toBe('"orders";r=19;t=1');
  });

  it("keys the bucket by the caller: an admin ordering for customers uses the admin's", async () => {
    const app = appWith(small);
    const admin = bearer('ADMIN01', 'admin');
    for (let i = 0; i < 20; i++) {
      expect(
        (
          await request(app)
            .post('/api/v1/orders')
            .set(admin)
            .send({ ...body(), customerId: `CUST${10 + i}` })
        ).status,
      ).toBe(202);
    }
    expect(
      (
        await request(app)
          .post('/api/v1/orders')
          .set(admin)
          .send({ ...body(), customerId: 'CUST40' })
      ).status,
    ).toBe(429);
    expect((await post(app, 'CUST40')).status).toBe(202);
  });

  it('with N gateway instances allows 1/N here, and says what is left for the whole system', async () => {
    const app = appWith(small);
    instances = 2;
    const statuses: number[] = [];
    let first: request.Response | undefined;
    for (let i = 0; i < 11; i++) {
      const res = await post(app, 'CUST05');
      first ??= res;
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(10).fill(202), 429]);
    expect(first?.headers['ratelimit-policy']).toBe('"orders";q=20;w=2'); // the policy is the system's
    expect(first?.headers['ratelimit']).toBe('"orders";r=18;t=1'); // 9 left here × 2 instances
    nowMs += 100; // this instance refills at 5/s: half a token
    expect((await post(app, 'CUST05')).status).toBe(429);
    nowMs += 100;
    expect((await post(app, 'CUST05')).status).toBe(202);

    instances = 40; // more instances than the burst: each still lets one request through
    nowMs += 60_000;
    expect((await post(app, 'CUST06')).status).toBe(202);
    expect((await post(app, 'CUST06')).status).toBe(429);
  });

  it('has the documented defaults: 100/s per customer with bursts of 200', async () => {
    expect(DEFAULT_CUSTOMER_LIMITS).toEqual({ orderRequestsPerSecond: 100, orderRequestBurst: 200, maxQuantityPerProduct: 100 });
    const app = appWith();
    let accepted = 0;
    let res = await post(app, 'CUST07');
    expect(res.headers['ratelimit-policy']).toBe('"orders";q=200;w=2');
    while (res.status === 202) {
      accepted++;
      res = await post(app, 'CUST07');
    }
    expect(accepted).toBe(200);
    expect(res.status).toBe(429);
  });
});

describe('the cap on one product in one order', () => {
  it('is a 422 naming every line over it; a line at the cap is accepted', async () => {
    const app = appWith(small);
    const res = await post(app, 'CUST08', [5, 6, 1, 1000]);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: '/problems/order-limit-exceeded',
      status: 422,
      detail: 'an order may hold at most 5 units of one product',
      errors: [
        { path: 'body.items.1.quantity', message: 'at most 5 units of one product per order' },
        { path: 'body.items.3.quantity', message: 'at most 5 units of one product per order' },
      ],
    });
    expect(backend.published).toEqual([]);
    expect((await post(app, 'CUST08', [5, 5])).status).toBe(202);
  });

  it("defaults to 100, within the contract's bound of 1,000 (over that stays a 400)", async () => {
    const app = appWith();
    expect((await post(app, 'CUST09', [100])).status).toBe(202);
    expect((await post(app, 'CUST09', [101])).body).toMatchObject({ status: 422, errors: [{ path: 'body.items.0.quantity' }] });
    expect((await post(app, 'CUST09', [1001])).body).toMatchObject({ status: 400, errors: [{ path: 'body.items.0.quantity' }] });
  });
});

describe('the OpenAPI document', () => {
  it('documents 429 with Retry-After and the RateLimit fields on every rate-limited operation, and the quantity cap on create', async () => {
    const paths = (await request(appWith()).get('/api/openapi.json')).body.paths;
    expect([...RATE_LIMITED_OPERATIONS].sort()).toEqual(['cancelOrder', 'createOrder', 'replaceOrder', 'updateOrder']);
    for (const operationId of RATE_LIMITED_OPERATIONS) {
      const route = apiRoutes[operationId];
      const operation = paths[route.path][route.method];
      expect(Object.keys(operation.responses['429'].headers).sort()).toEqual(['RateLimit', 'RateLimit-Policy', 'Retry-After']);
      const success = operation.responses[operationId === 'createOrder' ? '202' : '200'];
      expect(Object.keys(success.headers)).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy']));
    }
    expect(paths['/api/v1/orders/{id}'].get.responses['429']).toBeUndefined();
    expect(paths['/api/v1/orders'].post.responses['422'].description).toContain('units of one product');
  });
});
