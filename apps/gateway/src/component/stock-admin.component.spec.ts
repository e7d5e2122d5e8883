import request from 'supertest';
import { apiRoutes } from '@orderline/contracts';
import { toExpressPath } from '../http/app';
import { bearer, gatewayUnderTest } from './fake-backend';

/** The admin catalog and stock routes over HTTP, with inventory-service faked behind request/reply (no broker). */
let { app, backend } = gatewayUnderTest();
beforeEach(() => ({ app, backend } = gatewayUnderTest()));

const admin = bearer('ADMIN01', 'admin');
const customer = bearer('CUST01');
const kettle = { id: 'PROD-K1', name: 'Kettle', unitPrice: '12.50', availableQuantity: 4 };

function expectProblem(res: request.Response, status: number, type: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type, status });
}

const create = (body: object = kettle, auth = admin) => request(app).post('/api/v1/products').set(auth).send(body);
const adjust = (body: object, key: string | null = 'key-1', id = kettle.id) => {
  const req = request(app).post(`/api/v1/products/${id}/stock-adjustments`).set(admin);
  return (key === null ? req : req.set('Idempotency-Key', key)).send(body);
};

describe('admin routes', () => {
  it('a customer gets 403 on every catalog and stock admin route, before the input is looked at and without asking inventory', async () => {
    const adminRoutes = Object.values(apiRoutes).filter(
      (route) => 'role' in route && route.role === 'admin' && route.path.startsWith('/api/v1/products'),
    );
    expect(adminRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'get /api/v1/products/{id}/stock-movements',
      'patch /api/v1/products/{id}',
      'post /api/v1/products',
      'post /api/v1/products/{id}/stock-adjustments',
    ]);
    for (const route of adminRoutes) {
      const path = toExpressPath(route.path).replace(':id', kettle.id);
      expectProblem(await request(app)[route.method](path).set(customer).send({ not: 'valid' }), 403, '/problems/forbidden');
    }
    expect(backend.requests).toEqual([]);
    expect((await request(app).post('/api/v1/products').send(kettle)).status).toBe(401);
  });

  it('creates a product (201 + Location, the admin named as actor); the same id again is 409', async () => {
    const res = await create();
    expect(res.status).toBe(201);
    expect(res.headers['location']).toBe('/api/v1/products/PROD-K1');
    expect(res.body).toEqual({ ...kettle, description: '', active: true, lowStockThreshold: 10 });
    expect(backend.requests[0]).toMatchObject({ type: 'CreateProduct', key: 'PROD-K1', payload: { actor: 'ADMIN01' } });
    expectProblem(await create(), 409, '/problems/conflict');
  });

  it('validates like the order API: 2-decimal money, integer quantities within bounds, known fields only', async () => {
    for (const [body, path] of [
      [{ ...kettle, unitPrice: 12.5 }, 'body.unitPrice'],
      [{ ...kettle, unitPrice: '12.5' }, 'body.unitPrice'],
      [{ ...kettle, unitPrice: '0.00' }, 'body.unitPrice'],
      [{ ...kettle, unitPrice: '12345678901.00' }, 'body.unitPrice'],
      [{ ...kettle, availableQuantity: 1.5 }, 'body.availableQuantity'],
      [{ ...kettle, availableQuantity: -1 }, 'body.availableQuantity'],
      [{ ...kettle, availableQuantity: 1_000_000_001 }, 'body.availableQuantity'],
      [{ ...kettle, id: 'X'.repeat(33) }, 'body.id'],
      [{ ...kettle, name: '' }, 'body.name'],
      [{ ...kettle, stock: 3 }, 'body.stock'],
    ] as const) {
      const res = await create(body);
      expectProblem(res, 400, '/problems/validation-error');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    // the bounds themselves pass
    expect((await create({ ...kettle, unitPrice: '9999999999.99', availableQuantity: 1_000_000_000 })).status).toBe(201);
    expect((await create({ ...kettle, id: 'PROD-K2', unitPrice: '0.01', availableQuantity: 0 })).status).toBe(201);
    expect(backend.sent()).toEqual(['CreateProduct', 'CreateProduct']);
  });

  it('changes a product (404 for none; an empty change is 400); an inactive product is hidden from customers, not from admins', async () => {
    await create();
    const res = await request(app).patch('/api/v1/products/PROD-K1').set(admin).send({ unitPrice: '13.00', active: false });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ unitPrice: '13.00', active: false });
    expectProblem(await request(app).patch('/api/v1/products/NOPE').set(admin).send({ name: 'x' }), 404, '/problems/not-found');
    expectProblem(await request(app).patch('/api/v1/products/PROD-K1').set(admin).send({}), 400, '/problems/validation-error');
    expectProblem(await request(app).patch('/api/v1/products/PROD-K1').set(admin).send({ id: 'OTHER' }), 400, '/problems/validation-error');
    expectProblem(await request(app).get('/api/v1/products/PROD-K1').set(customer), 404, '/problems/not-found');
    expect((await request(app).get('/api/v1/products').set(customer)).body.items).toEqual([]);
    expect((await request(app).get('/api/v1/products/PROD-K1').set(admin)).body).toMatchObject({ id: 'PROD-K1', active: false });
    expect((await request(app).get('/api/v1/products').set(admin)).body.items).toHaveLength(1);
  });

  it('adjusts stock once per Idempotency-Key (required); below zero is 409 naming the available quantity; another body under the key is 422', async () => {
    await create();
    const first = await adjust({ delta: 6, reason: 'RECEIVED', reference: 'PO-1' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      kind: 'ADJUSTMENT',
      delta: 6,
      quantityAfter: 10,
      reason: 'RECEIVED',
      actor: 'ADMIN01',
      reference: 'PO-1',
    });
    expect((await adjust({ delta: 6, reason: 'RECEIVED', reference: 'PO-1' })).body).toEqual(first.body);
    expect(backend.requests.at(-1)).toMatchObject({ type: 'AdjustStock', key: 'PROD-K1', payload: { idempotencyKey: 'key-1' } });
    expectProblem(await adjust({ delta: 7, reason: 'RECEIVED' }), 422, '/problems/idempotency-key-reused');
    const below = await adjust({ delta: -11, reason: 'DAMAGED' }, 'key-2');
    expectProblem(below, 409, '/problems/conflict');
    expect(below.body.detail).toContain('only 10 available');
    const noKey = await adjust({ delta: 1, reason: 'RECEIVED' }, null);
    expectProblem(noKey, 400, '/problems/validation-error');
    expect(noKey.body.errors).toEqual([{ path: 'headers.idempotency-key', message: 'required' }]);
    expectProblem(await adjust({ delta: 1, reason: 'RECEIVED' }, 'key-3', 'NOPE'), 404, '/problems/not-found');
  });

  it('validates adjustments: non-zero integer delta within ±1,000,000,000, a known reason, a short reference', async () => {
    await create();
    for (const [body, path] of [
      [{ delta: 0, reason: 'RECEIVED' }, 'body.delta'],
      [{ delta: 1.5, reason: 'RECEIVED' }, 'body.delta'],
      [{ delta: '5', reason: 'RECEIVED' }, 'body.delta'],
      [{ delta: 1_000_000_001, reason: 'RECEIVED' }, 'body.delta'],
      [{ delta: -1_000_000_001, reason: 'DAMAGED' }, 'body.delta'],
      [{ delta: 1, reason: 'STOLEN' }, 'body.reason'],
      [{ delta: 1, reason: 'RECEIVED', reference: 'r'.repeat(201) }, 'body.reference'],
      [{ delta: 1, reason: 'RECEIVED', actor: 'someone' }, 'body.actor'],
    ] as const) {
      const res = await adjust(body, 'k');
      expectProblem(res, 400, '/problems/validation-error');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    expectProblem(await adjust({ delta: 1, reason: 'RECEIVED' }, 'k'.repeat(256)), 400, '/problems/validation-error');
    expect((await adjust({ delta: 1_000_000_000, reason: 'COUNT_CORRECTION', reference: 'r'.repeat(200) }, 'k'.repeat(255))).status).toBe(
      201,
    );
  });

  it('lists the stock movements newest first (404 for no product; limit 1..100, cursor checked)', async () => {
    await create();
    await adjust({ delta: -1, reason: 'DAMAGED' });
    const res = await request(app).get('/api/v1/products/PROD-K1/stock-movements').query({ limit: 10 }).set(admin);
    expect(res.status).toBe(200);
    expect(res.body.items.map((m: { kind: string; quantityAfter: number }) => [m.kind, m.quantityAfter])).toEqual([
      ['ADJUSTMENT', 3],
      ['CREATED', 4],
    ]);
    expectProblem(await request(app).get('/api/v1/products/NOPE/stock-movements').set(admin), 404, '/problems/not-found');
    for (const query of [{ limit: 0 }, { limit: 101 }, { cursor: 'abc' }, { extra: 1 }]) {
      expectProblem(
        await request(app).get('/api/v1/products/PROD-K1/stock-movements').query(query).set(admin),
        400,
        '/problems/validation-error',
      );
    }
    expect((await request(app).get('/api/v1/products/PROD-K1/stock-movements').query({ limit: 100, cursor: '5' }).set(admin)).status).toBe(
      200,
    );
  });

  it('the OpenAPI document lists every admin route with its role, the required Idempotency-Key and its problems', async () => {
    const paths = (await request(app).get('/api/openapi.json')).body.paths;
    expect(paths['/api/v1/products'].post.responses['201']).toBeDefined();
    expect(paths['/api/v1/products'].post.description).toContain('admin');
    expect(paths['/api/v1/products/{id}'].patch.responses['404']).toBeDefined();
    const adjustment = paths['/api/v1/products/{id}/stock-adjustments'].post;
    expect(adjustment.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }));
    expect(Object.keys(adjustment.responses)).toEqual(expect.arrayContaining(['201', '400', '403', '404', '409', '422']));
    expect(paths['/api/v1/products/{id}/stock-movements'].get.parameters).toContainEqual(
      expect.objectContaining({ name: 'cursor', in: 'query' }),
    );
  });
});
