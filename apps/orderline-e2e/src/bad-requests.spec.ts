import { validAddress } from '@orderline/testing';
import { api, customerToken } from './support/api';

const item = { productId: 'PROD-0001', quantity: 1 };

/** Each body must be refused with 400 problem+json naming the offending path; none may cause a 5xx. */
const badBodies: [string, unknown, string][] = [
  ['empty object', {}, 'body.items'],
  ['items not an array', { items: 'PROD-0001', shippingAddress: validAddress }, 'body.items'],
  ['no items', { items: [], shippingAddress: validAddress }, 'body.items'],
  [
    '101 lines',
    { items: Array.from({ length: 101 }, (_, i) => ({ productId: `P${i}`, quantity: 1 })), shippingAddress: validAddress },
    'body.items',
  ],
  ['duplicate product ids', { items: [item, item], shippingAddress: validAddress }, 'body.items'],
  ['quantity 0', { items: [{ ...item, quantity: 0 }], shippingAddress: validAddress }, 'body.items.0.quantity'],
  ['quantity 1001', { items: [{ ...item, quantity: 1001 }], shippingAddress: validAddress }, 'body.items.0.quantity'],
  ['quantity 1.5', { items: [{ ...item, quantity: 1.5 }], shippingAddress: validAddress }, 'body.items.0.quantity'],
  ['quantity as a string', { items: [{ ...item, quantity: '1' }], shippingAddress: validAddress }, 'body.items.0.quantity'],
  ['negative quantity', { items: [{ ...item, quantity: -3 }], shippingAddress: validAddress }, 'body.items.0.quantity'],
  ['missing productId', { items: [{ quantity: 1 }], shippingAddress: validAddress }, 'body.items.0.productId'],
  ['productId a number', { items: [{ productId: 7, quantity: 1 }], shippingAddress: validAddress }, 'body.items.0.productId'],
  ['unknown field on a line', { items: [{ ...item, price: '1.00' }], shippingAddress: validAddress }, 'body.items.0.price'],
  ['unknown top-level field', { items: [item], shippingAddress: validAddress, totalAmount: '0.01' }, 'body.totalAmount'],
  ['client-chosen status', { items: [item], shippingAddress: validAddress, status: 'CONFIRMED' }, 'body.status'],
  ['client-chosen id', { items: [item], shippingAddress: validAddress, id: '00000000-0000-4000-8000-000000000000' }, 'body.id'],
  ['missing shippingAddress', { items: [item] }, 'body.shippingAddress'],
  ['country not ISO alpha-2', { items: [item], shippingAddress: { ...validAddress, country: 'Germany' } }, 'body.shippingAddress.country'],
  ['blank city', { items: [item], shippingAddress: { ...validAddress, city: '   ' } }, 'body.shippingAddress.city'],
  ['unknown address field', { items: [item], shippingAddress: { ...validAddress, planet: 'Mars' } }, 'body.shippingAddress.planet'],
  ['U+0001 in an address line', { items: [item], shippingAddress: { ...validAddress, line1: 'a\u0001b' } }, 'body.shippingAddress.line1'],
  ['U+0001 in a productId', { items: [{ ...item, productId: 'PROD\u00010001' }], shippingAddress: validAddress }, 'body.items.0.productId'],
  [
    'U+0085 (C1) in a postal code',
    { items: [item], shippingAddress: { ...validAddress, postalCode: '10\u0085115' } },
    'body.shippingAddress.postalCode',
  ],
  ['a tab in customerId', { items: [item], shippingAddress: validAddress, customerId: 'CUST\t01' }, 'body.customerId'],
  ['a JSON array', [item], '(root)'],
  ['a JSON string', 'order', '(root)'],
  ['null', null, '(root)'],
];

describe('bad requests get 400 problem+json, never a 5xx', () => {
  it.each(badBodies)('%s', async (_name, body, path) => {
    const res = await api()
      .post('/api/v1/orders')
      .set('authorization', `Bearer ${customerToken()}`)
      .set('content-type', 'application/json')
      .send(JSON.stringify(body));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      type: '/problems/validation-error',
      status: 400,
      correlationId: res.headers['x-correlation-id'],
    });
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining([expect.stringContaining(path === '(root)' ? '' : path)]),
    );
    if (path !== '(root)') expect(res.body.errors.some((e: { path: string }) => e.path.startsWith(path))).toBe(true);
  });

  const raw = (body: string, contentType = 'application/json') =>
    api().post('/api/v1/orders').set('authorization', `Bearer ${customerToken()}`).set('content-type', contentType).send(body);

  it('malformed JSON → 400 malformed-json', async () => {
    const res = await raw('{"items": [');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: '/problems/malformed-json', status: 400 });
  });

  it('a body over 64 KiB → 413', async () => {
    const res = await raw(JSON.stringify({ items: [item], shippingAddress: { ...validAddress, line2: 'x'.repeat(70_000) } }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ type: '/problems/payload-too-large', status: 413 });
  });

  it('a body that is not JSON → 415', async () => {
    const res = await raw('items=1', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('an order id that is not a uuid → 400', async () => {
    const res = await api().get('/api/v1/orders/not-a-uuid').set('authorization', `Bearer ${customerToken()}`);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'params.id', message: expect.any(String) }]);
  });

  it('bad product list query → 400', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'unknown=1']) {
      const res = await api().get(`/api/v1/products?${query}`).set('authorization', `Bearer ${customerToken()}`);
      expect(res.status).toBe(400);
    }
  });

  describe('control characters (U+0000–U+001F, U+007F–U+009F) in any text a client sends → 400 naming each field', () => {
    const errorsOf = (res: { status: number; body: { errors?: { path: string; message: string }[] } }) => {
      expect(res.status).toBe(400);
      return res.body.errors ?? [];
    };

    it('in a body: every bad field is named', async () => {
      const body = {
        items: [item, { productId: '\u0001'.repeat(26) + '000001', quantity: 1 }],
        shippingAddress: { ...validAddress, line1: '\u0001'.repeat(200), city: 'Ber\u007Flin' },
      };
      const res = await raw(JSON.stringify(body));
      expect(res.body.type).toBe('/problems/validation-error');
      expect(errorsOf(res)).toEqual([
        { path: 'body.items.1.productId', message: expect.stringMatching(/control characters/) },
        { path: 'body.shippingAddress.line1', message: expect.stringMatching(/control characters/) },
        { path: 'body.shippingAddress.city', message: expect.stringMatching(/control characters/) },
      ]);
    });

    it('in a PATCH body', async () => {
      const res = await api()
        .patch('/api/v1/orders/00000000-0000-4000-8000-000000000001')
        .set('authorization', `Bearer ${customerToken()}`)
        .send({ shippingAddress: { ...validAddress, line2: 'c/o \u001B[31m' } });
      expect(errorsOf(res).map((e) => e.path)).toEqual(['body.shippingAddress.line2']);
    });

    it('in query strings and path ids', async () => {
      const auth = `Bearer ${customerToken()}`;
      const list = await api().get('/api/v1/orders?customerId=CUST%0101&cursor=abc%0A').set('authorization', auth);
      expect(errorsOf(list).map((e) => e.path)).toEqual(['query.customerId', 'query.cursor']);
      const products = await api().get('/api/v1/products?cursor=%C2%9F').set('authorization', auth);
      expect(errorsOf(products).map((e) => e.path)).toEqual(['query.cursor']);
      const product = await api().get('/api/v1/products/PROD%010001').set('authorization', auth);
      expect(errorsOf(product).map((e) => e.path)).toEqual(['params.id']);
    });

    it('in the Idempotency-Key header (named together with a bad body field)', async () => {
      const res = await api()
        .post('/api/v1/orders')
        .set('authorization', `Bearer ${customerToken()}`)
        .set('idempotency-key', 'key\tone')
        .send({ items: [{ ...item, productId: 'P\u0002' }], shippingAddress: validAddress });
      expect(errorsOf(res).map((e) => e.path)).toEqual(['body.items.0.productId', 'headers.idempotency-key']);
      const c1 = await api()
        .post('/api/v1/orders')
        .set('authorization', `Bearer ${customerToken()}`)
        .set('idempotency-key', 'key\u0085')
        .send({ items: [item], shippingAddress: validAddress });
      expect(errorsOf(c1).map((e) => e.path)).toEqual(['headers.idempotency-key']);
    });

    it('other Unicode (CJK, emoji, accents) is accepted', async () => {
      const res = await raw(
        JSON.stringify({
          items: [{ productId: '商品-🚚', quantity: 1 }],
          shippingAddress: { ...validAddress, line1: '東京都千代田区 1-1 🏯', city: 'Zürich' },
        }),
      );
      expect(res.status).toBe(202);
    });
  });

  it('an unknown route → 404 problem+json', async () => {
    const res = await api().get('/api/v1/nothing-here').set('authorization', `Bearer ${customerToken()}`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
