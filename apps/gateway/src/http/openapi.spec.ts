import request from 'supertest';
import { createLogger } from '@orderline/logging';
import type { Publisher, Requester } from '@orderline/messaging';
import { createApp, toExpressPath } from './app';

/** The gateway's HTTP surface on its own, with nothing behind it (no broker needed). */
const app = createApp({
  publisher: {} as Publisher,
  requester: {} as Requester,
  kafkaHealth: { isReachable: async () => true },
  jwtSecrets: ['test-secret-0123456789'],
  logger: createLogger('test', 'error'),
});

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 at /api/openapi.json with schemas generated from the contracts', async () => {
    const res = await request(app).get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const create = res.body.paths['/api/v1/orders'].post;
    expect(create.requestBody.content['application/json'].schema.properties.items.maxItems).toBe(100);
    expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(create.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    expect(create.responses['202']).toBeDefined();
  });

  it('documents every route the gateway serves, and the gateway serves every documented route', async () => {
    const doc = (await request(app).get('/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${toExpressPath(path)}`))
      .sort();
    const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
    const served = stack
      .flatMap(({ route }) => (route ? Object.keys(route.methods).map((m) => `${m.toUpperCase()} ${route.path}`) : []))
      .sort();
    expect(served).toEqual(documented);
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /api/v1/orders',
        'GET /api/v1/orders',
        'GET /api/v1/orders/:id',
        'PATCH /api/v1/orders/:id',
        'PUT /api/v1/orders/:id',
        'DELETE /api/v1/orders/:id',
        'GET /api/v1/products',
        'GET /api/v1/products/:id',
      ]),
    );
  });

  it('serves Swagger UI at /api/docs', async () => {
    const res = await request(app).get('/api/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});
