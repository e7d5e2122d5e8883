import { api, customerToken } from './support/api';

describe('health', () => {
  it.each(['/api/v1/orders/health-check', '/health/live', '/health/ready'])('%s → 200 {status: ok} without a token', async (path) => {
    const res = await api().get(path);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });

  it('every response carries an x-correlation-id, echoing a sane incoming one', async () => {
    expect((await api().get('/health/live')).headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await api().get('/health/live').set('x-correlation-id', 'abc-123')).headers['x-correlation-id']).toBe('abc-123');
    const unsafe = await api().get('/health/live').set('x-correlation-id', 'x'.repeat(500));
    expect(unsafe.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('catalog', () => {
  const auth = () => ({ authorization: `Bearer ${customerToken()}` });

  it('lists products page by page with a cursor, ≥ 1,000 seeded', async () => {
    const first = await api().get('/api/v1/products?limit=100').set(auth());
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(100);
    expect(first.body.items[0]).toEqual({
      id: expect.any(String),
      name: expect.any(String),
      description: expect.any(String),
      unitPrice: expect.stringMatching(/^\d+\.\d{2}$/),
      availableQuantity: expect.any(Number),
      active: true,
    });
    const second = await api().get(`/api/v1/products?limit=100&cursor=${first.body.nextCursor}`).set(auth());
    expect(second.body.items[0].id > first.body.items[99].id).toBe(true);
    const seeded = await api().get('/api/v1/products/PROD-1000').set(auth());
    expect(seeded.status).toBe(200);
    expect(seeded.body.id).toBe('PROD-1000');
  });

  it('an unknown product → 404 problem+json', async () => {
    const res = await api().get('/api/v1/products/NO-SUCH-PRODUCT').set(auth());
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
