import request from 'supertest';
import { bearer, gatewayUnderTest } from './fake-backend';

/** The webhook admin routes: admins only, validated at the edge, answered by notification-service over request/reply. */
describe('webhook admin API (gateway)', () => {
  const { app, backend } = gatewayUnderTest();
  const admin = bearer('ADMIN01', 'admin');
  const body = { url: 'http://127.0.0.1:4000/hooks', events: ['OrderConfirmed', 'OrderCancelled'] };

  it('refuses customers with 403 on every webhook route, before reading the body, and asks nobody', async () => {
    const customer = bearer('CUST01');
    const id = '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
    const responses = await Promise.all([
      request(app).post('/api/v1/webhooks').set(customer).send(body),
      request(app).post('/api/v1/webhooks').set(customer).send({ nonsense: true }),
      request(app).get('/api/v1/webhooks').set(customer),
      request(app).delete(`/api/v1/webhooks/${id}`).set(customer),
      request(app).get(`/api/v1/webhooks/${id}/deliveries`).set(customer),
      request(app).post(`/api/v1/webhooks/${id}/deliveries/1/retry`).set(customer),
    ]);
    expect(responses.map((res) => [res.status, res.type])).toEqual(Array(6).fill([403, 'application/problem+json']));
    expect(backend.sent().filter((type) => type.includes('Webhook'))).toEqual([]);
    expect((await request(app).get('/api/v1/webhooks')).status).toBe(401);
  });

  it('registers (201 with the secret), lists, deletes and 404s for an admin', async () => {
    const created = await request(app).post('/api/v1/webhooks').set(admin).send(body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, id: expect.any(String), secret: 'whsec_fake', disabledAt: null });
    expect(created.headers['location']).toBe(`/api/v1/webhooks/${created.body.id}`);
    const listed = await request(app).get('/api/v1/webhooks').set(admin);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual(expect.objectContaining({ id: created.body.id }));
    expect(listed.body.items[0].secret).toBeUndefined();
    expect((await request(app).get(`/api/v1/webhooks/${created.body.id}/deliveries?limit=5`).set(admin)).body).toEqual({ items: [] });
    expect((await request(app).post(`/api/v1/webhooks/${created.body.id}/deliveries/7/retry`).set(admin)).status).toBe(404);
    expect((await request(app).delete(`/api/v1/webhooks/${created.body.id}`).set(admin)).status).toBe(204);
    expect((await request(app).delete(`/api/v1/webhooks/${created.body.id}`).set(admin)).status).toBe(404);
  });

  it('names the bad fields: URL (syntax, length, and what notification-service refuses), events, ids', async () => {
    const bad = async (payload: object) => (await request(app).post('/api/v1/webhooks').set(admin).send(payload)).body;
    expect((await bad({ url: 'not a url', events: ['OrderConfirmed'] })).errors).toEqual([
      { path: 'body.url', message: expect.any(String) },
    ]);
    expect((await bad({ url: `https://example.com/${'a'.repeat(2_048)}`, events: ['OrderConfirmed'] })).errors[0].path).toBe('body.url');
    expect((await bad({ url: 'ftp://example.com/', events: ['OrderConfirmed'] })).errors[0].path).toBe('body.url');
    expect((await bad({ url: 'https://example.com/', events: [] })).errors[0].path).toBe('body.events');
    expect((await bad({ url: 'https://example.com/', events: ['OrderConfirmed', 'OrderConfirmed'] })).errors[0].path).toBe('body.events');
    expect((await bad({ url: 'https://example.com/', events: ['OrderEaten'] })).errors[0].path).toBe('body.events.0');
    expect((await bad({ url: 'https://example.com/', events: ['OrderConfirmed'], secret: 'mine' })).errors[0]).toEqual({
      path: 'body.secret',
      message: 'unknown field',
    });
    const refused = await request(app)
      .post('/api/v1/webhooks')
      .set(admin)
      .send({ url: 'https://refused.example/', events: ['OrderShipped'] });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ path: 'body.url', message: 'the URL must be https' }]);
    expect((await request(app).get('/api/v1/webhooks/nope/deliveries').set(admin)).status).toBe(400);
    expect((await request(app).post('/api/v1/webhooks/6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f/deliveries/x/retry').set(admin)).status).toBe(
      400,
    );
    expect((await request(app).get('/api/v1/webhooks/6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f/deliveries?limit=101').set(admin)).status).toBe(
      400,
    );
  });

  it('documents the admin routes and, under `webhooks`, the signed event for each type', async () => {
    const doc = (await request(app).get('/api/openapi.json')).body;
    expect(doc.paths['/api/v1/webhooks'].post.responses['201']).toBeDefined();
    expect(doc.paths['/api/v1/webhooks/{id}/deliveries/{deliveryId}/retry'].post.responses['403']).toBeDefined();
    expect(Object.keys(doc.webhooks)).toEqual([
      'OrderConfirmed',
      'OrderRejected',
      'OrderUpdated',
      'OrderCancelled',
      'OrderShipped',
      'OrderDelivered',
    ]);
    const confirmed = doc.webhooks.OrderConfirmed.post;
    expect(confirmed.parameters.map((p: { name: string }) => p.name)).toEqual([
      'Orderline-Event-Id',
      'Orderline-Event-Type',
      'Orderline-Signature',
    ]);
    expect(confirmed.requestBody.content['application/json'].schema.properties.type).toEqual(
      expect.objectContaining({ const: 'OrderConfirmed' }),
    );
    expect(confirmed.description).toMatch(/HMAC-SHA256/);
  });
});
