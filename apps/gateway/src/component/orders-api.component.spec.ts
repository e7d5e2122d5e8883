import request from 'supertest';
import { CreateOrder, Topics, type Product } from '@orderline/contracts';
import { BrokerUnavailableError, ReplyFailedError, RequestTimeoutError, RequesterOverloadedError } from '@orderline/messaging';
import { validAddress } from '@orderline/testing';
import { bearer, buildOrder, gatewayUnderTest, type FakeBackend } from './fake-backend';

/**
 * The gateway's contract at its HTTP edge, with everything behind it in memory: what each route
 * answers (status, body, headers), what it sends (messageQueueCheck), and how every answer of
 * order-management and every failure of the broker becomes problem+json.
 */
const orderId = '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const newOrder = (overrides: object = {}) => ({
  items: [{ productId: 'PROD-0001', quantity: 2 }],
  shippingAddress: validAddress,
  ...overrides,
});

let app: ReturnType<typeof gatewayUnderTest>['app'];
let backend: FakeBackend;

beforeEach(() => {
  ({ app, backend } = gatewayUnderTest({ limits: { orderRequestsPerSecond: 1, orderRequestBurst: 3, maxQuantityPerProduct: 10 } }));
  backend.store(buildOrder({ id: orderId, customerId: 'CUST01', version: 4 }));
});

const expectProblem = (res: request.Response, status: number, type: string) => {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    type,
    status,
    title: expect.any(String),
    detail: expect.any(String),
    correlationId: res.headers['x-correlation-id'],
  });
};

describe('POST /api/v1/orders', () => {
  it('responseCheck: 202 {id, PENDING} with Location, the correlation id and the rate limit left', async () => {
    const res = await request(app).post('/api/v1/orders').set(bearer('CUST01')).set('x-correlation-id', 'order-1').send(newOrder());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'PENDING' });
    expect(res.headers['location']).toBe(`/api/v1/orders/${res.body.id}`);
    expect(res.headers['x-correlation-id']).toBe('order-1');
    expect(res.headers['ratelimit']).toBe('"orders";r=2;t=1');
  });

  it("messageQueueCheck: one CreateOrder on orders.commands, keyed by the order id, for the caller, and the gateway's view has it", async () => {
    const res = await request(app).post('/api/v1/orders').set(bearer('CUST01')).set('x-correlation-id', 'order-2').send(newOrder());
    expect(backend.published).toHaveLength(1);
    const [sent] = backend.published;
    expect(sent).toMatchObject({
      topic: Topics.orderCommands,
      key: res.body.id,
      envelope: { type: CreateOrder.type, correlationId: 'order-2' },
    });
    expect(CreateOrder.payload.parse(sent.envelope.payload)).toEqual({ orderId: res.body.id, customerId: 'CUST01', ...newOrder() });
    expect(backend.accepted.get(res.body.id)).toMatchObject({ status: 'PENDING', customerId: 'CUST01' });
  });

  it('403 for a customer ordering for another customer (nothing sent); an admin orders for anyone', async () => {
    expectProblem(
      await request(app)
        .post('/api/v1/orders')
        .set(bearer('CUST01'))
        .send(newOrder({ customerId: 'CUST02' })),
      403,
      '/problems/forbidden',
    );
    expect(backend.published).toEqual([]);
    expect(
      (
        await request(app)
          .post('/api/v1/orders')
          .set(bearer('ADMIN01', 'admin'))
          .send(newOrder({ customerId: 'CUST02' }))
      ).status,
    ).toBe(202);
    expect(backend.published[0].envelope.payload).toMatchObject({ customerId: 'CUST02' });
  });

  it('with an Idempotency-Key: waits for order-management; the same key and body is the same order, another body is a 422', async () => {
    const place = (body: object) => request(app).post('/api/v1/orders').set(bearer('CUST01')).set('idempotency-key', 'key-1').send(body);
    const first = await place(newOrder());
    const again = await place(newOrder());
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body.id).toBe(first.body.id);
    expect(backend.sent()).toEqual(['CreateOrder', 'CreateOrder']);
    expect(backend.published).toEqual([]); // sent as a request, not fire-and-forget
    expectProblem(await place(newOrder({ items: [{ productId: 'PROD-0002', quantity: 1 }] })), 422, '/problems/idempotency-key-reused');
  });

  it('422 naming each line over the quantity cap; 400 naming each bad field; 401 without a token; 415 without JSON', async () => {
    const capped = await request(app)
      .post('/api/v1/orders')
      .set(bearer('CUST01'))
      .send(newOrder({ items: [{ productId: 'P1', quantity: 11 }] }));
    expectProblem(capped, 422, '/problems/order-limit-exceeded');
    expect(capped.body.errors).toEqual([{ path: 'body.items.0.quantity', message: expect.any(String) }]);
    const invalid = await request(app)
      .post('/api/v1/orders')
      .set(bearer('CUST01'))
      .send({ items: [], shippingAddress: { ...validAddress, country: 'Germany' } });
    expectProblem(invalid, 400, '/problems/validation-error');
    expect(invalid.body.errors.map((e: { path: string }) => e.path)).toEqual(['body.items', 'body.shippingAddress.country']);
    expectProblem(await request(app).post('/api/v1/orders').send(newOrder()), 401, '/problems/unauthorized');
    expectProblem(
      await request(app).post('/api/v1/orders').set(bearer('CUST01')).set('content-type', 'text/plain').send('x'),
      415,
      '/problems/unsupported-media-type',
    );
    expect(backend.published).toEqual([]);
  });

  it('429 with Retry-After once the burst is used', async () => {
    for (let i = 0; i < 3; i++) expect((await request(app).post('/api/v1/orders').set(bearer('CUST01')).send(newOrder())).status).toBe(202);
    const refused = await request(app).post('/api/v1/orders').set(bearer('CUST01')).send(newOrder());
    expectProblem(refused, 429, '/problems/too-many-requests');
    expect(refused.headers['retry-after']).toBe('1');
  });

  it('503 with Retry-After when the broker does not take the command; 504 when order-management does not answer a keyed create', async () => {
    backend.failNext('publish', new BrokerUnavailableError('the broker is away'));
    const unavailable = await request(app).post('/api/v1/orders').set(bearer('CUST01')).send(newOrder());
    expectProblem(unavailable, 503, '/problems/service-unavailable');
    expect(unavailable.headers['retry-after']).toBe('5');
    expect(backend.accepted.size).toBe(0); // not accepted: nothing to answer PENDING

    backend.failNext('CreateOrder', new RequestTimeoutError('no reply to CreateOrder within 5000 ms'));
    const timedOut = await request(app).post('/api/v1/orders').set(bearer('CUST01')).set('idempotency-key', 'key-2').send(newOrder());
    expectProblem(timedOut, 504, '/problems/timeout');
  });
});

describe("order-management's answers become HTTP statuses", () => {
  it.each([
    ['NOT_FOUND', 404, '/problems/not-found'],
    ['FORBIDDEN', 403, '/problems/forbidden'],
    ['CONFLICT', 409, '/problems/conflict'],
    ['PRECONDITION_FAILED', 412, '/problems/precondition-failed'],
    ['BAD_REQUEST', 400, '/problems/validation-error'],
    ['INTERNAL', 500, '/problems/internal-error'],
  ] as const)('%s → %i %s, with its message as the detail', async (code, status, type) => {
    backend.failNext('CancelOrder', new ReplyFailedError(code, `order-management says ${code}`));
    const res = await request(app).delete(`/api/v1/orders/${orderId}`).set(bearer('CUST01')).set('x-correlation-id', `answer-${code}`);
    expectProblem(res, status, type);
    expect(res.body).toMatchObject({ detail: `order-management says ${code}`, correlationId: `answer-${code}` });
  });

  it.each([
    ['no reply in time', new RequestTimeoutError('no reply'), 504, '/problems/timeout', undefined],
    ['too many requests waiting for replies', new RequesterOverloadedError('full'), 503, '/problems/service-unavailable', '1'],
    ['the broker unavailable', new BrokerUnavailableError('away'), 503, '/problems/service-unavailable', '5'],
  ])('%s → %i', async (_name, error, status, type, retryAfter) => {
    backend.failNext('LookupOrder', error);
    const res = await request(app).get(`/api/v1/orders/${orderId}`).set(bearer('CUST01'));
    expectProblem(res, status, type);
    expect(res.headers['retry-after']).toBe(retryAfter);
  });
});

describe('who may do what, as the gateway applies it', () => {
  it("404 for another customer's order, as for an absent one", async () => {
    expectProblem(await request(app).get(`/api/v1/orders/${orderId}`).set(bearer('CUST02')), 404, '/problems/not-found');
    expectProblem(await request(app).delete(`/api/v1/orders/${orderId}`).set(bearer('CUST02')), 404, '/problems/not-found');
  });

  it('403 for a customer changing the status, before anything is sent; an admin ships with tracking', async () => {
    const ship = { status: 'SHIPPED', trackingCompany: 'DHL', trackingNumber: '42' };
    expectProblem(await request(app).patch(`/api/v1/orders/${orderId}`).set(bearer('CUST01')).send(ship), 403, '/problems/forbidden');
    expect(backend.requests).toEqual([]);
    const shipped = await request(app).patch(`/api/v1/orders/${orderId}`).set(bearer('ADMIN01', 'admin')).set('if-match', '"4"').send(ship);
    expect(shipped.status).toBe(200);
    expect(shipped.headers['etag']).toBe('"5"');
    expect(shipped.body).toMatchObject({ status: 'SHIPPED', trackingCompany: 'DHL', trackingNumber: '42' });
    expect(backend.requests[0]).toMatchObject({
      type: 'UpdateOrder',
      key: orderId,
      payload: { caller: { customerId: 'ADMIN01', role: 'admin' }, expectedVersion: 4 },
    });
  });

  it("a customer lists their own orders (keyed by their id); another customer's list is a 403", async () => {
    const own = await request(app).get('/api/v1/orders').set(bearer('CUST01'));
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ items: [expect.objectContaining({ id: orderId })], nextCursor: null });
    expect(backend.requests[0]).toMatchObject({ type: 'ListOrders', key: 'CUST01' });
    expectProblem(
      await request(app).get('/api/v1/orders').query({ customerId: 'CUST02' }).set(bearer('CUST01')),
      403,
      '/problems/forbidden',
    );
  });
});

describe('the rest of the surface', () => {
  it('products: a page, one product, 404 for an unknown one', async () => {
    const product: Product = { id: 'PROD-0001', name: 'Mug', description: 'a mug', unitPrice: '4.50', availableQuantity: 3, active: true };
    backend.products.set(product.id, product);
    expect((await request(app).get('/api/v1/products').set(bearer('CUST01'))).body).toEqual({ items: [product], nextCursor: null });
    expect((await request(app).get('/api/v1/products/PROD-0001').set(bearer('CUST01'))).body).toEqual(product);
    expectProblem(await request(app).get('/api/v1/products/NOPE').set(bearer('CUST01')), 404, '/problems/not-found');
  });

  it('readiness follows Kafka; liveness does not', async () => {
    expect((await request(app).get('/health/ready')).body).toEqual({ status: 'ok', checks: { kafka: 'up' } });
    backend.kafkaUp = false;
    const down = await request(app).get('/health/ready');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', checks: { kafka: 'down' } });
    expect((await request(app).get('/health/live')).status).toBe(200);
  });

  it('an unknown route is a 404 problem; a correlation id that is not safe to log is replaced', async () => {
    const res = await request(app).get('/api/v1/nothing-here').set('x-correlation-id', 'bad id\twith tab');
    expectProblem(res, 404, '/problems/not-found');
    expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
