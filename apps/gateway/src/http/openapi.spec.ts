import request from 'supertest';
import { gatewayUnderTest } from '../component/fake-backend';
import { toExpressPath } from './app';
import { MAX_VERSION_ATTEMPTS } from './if-match';

/** The gateway's HTTP surface on its own (no broker needed). */
const { app } = gatewayUnderTest();

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
        'POST /api/v1/products',
        'PATCH /api/v1/products/:id',
        'POST /api/v1/products/:id/stock-adjustments',
        'GET /api/v1/products/:id/stock-movements',
      ]),
    );
  });

  it('documents the SSE streams as text/event-stream with their events, and Prefer on GET of one order', async () => {
    const paths = (await request(app).get('/api/openapi.json')).body.paths;
    for (const path of ['/api/v1/orders/{id}/events', '/api/v1/orders/events']) {
      const ok = paths[path].get.responses['200'].content['text/event-stream'];
      expect(ok.schema.type).toBe('string');
      expect(ok['x-sse-events'].types).toEqual(expect.arrayContaining(['OrderState', 'OrderConfirmed', 'OrderDelivered']));
      expect(ok['x-sse-events'].data.properties.status).toBeDefined();
      expect(paths[path].get.parameters).toContainEqual(expect.objectContaining({ name: 'Last-Event-ID', in: 'header' }));
      expect(paths[path].get.responses['429']).toBeDefined();
    }
    expect(paths['/api/v1/orders/events'].get.responses['410']).toBeDefined();
    const one = paths['/api/v1/orders/{id}'].get;
    expect(one.parameters).toContainEqual(expect.objectContaining({ name: 'Prefer', in: 'header' }));
    expect(one.responses['200'].headers['Preference-Applied']).toBeDefined();
  });

  it('documents ETag, If-Match and 412 on one order (the retry bound as the gateway has it)', async () => {
    const paths = (await request(app).get('/api/openapi.json')).body.paths;
    const one = paths['/api/v1/orders/{id}'];
    expect(one.get.responses['200'].headers.ETag).toBeDefined();
    expect(one.get.responses['304']).toBeDefined();
    for (const method of ['patch', 'put', 'delete']) {
      expect(one[method].parameters).toContainEqual(expect.objectContaining({ name: 'If-Match', in: 'header', required: false }));
      expect(one[method].responses['412'].content['application/problem+json']).toBeDefined();
      expect(one[method].responses['200'].headers.ETag.schema).toEqual(expect.objectContaining({ type: 'string' }));
    }
    const ifMatch = one.patch.parameters.find((p: { name: string }) => p.name === 'If-Match');
    expect(ifMatch.description).toContain(`up to ${MAX_VERSION_ATTEMPTS} times`);
  });

  it('serves Swagger UI at /api/docs', async () => {
    const res = await request(app).get('/api/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });
});
