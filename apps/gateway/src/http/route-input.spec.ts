import type { AddressInfo } from 'node:net';
import express from 'express';
import { apiRoutes, type Problem } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { errorHandler } from './error-handler';
import { headerText, inputOf, validateInput } from './route-input';

describe('validateInput', () => {
  const app = express();
  app.post('/orders', express.json(), validateInput(apiRoutes.createOrder), (_req, res) => {
    res.json(inputOf(res, apiRoutes.createOrder));
  });
  app.use(errorHandler(createLogger('route-input-spec')));
  let base = '';
  let server: ReturnType<typeof app.listen>;
  beforeAll(async () => {
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const address = { line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };

  it('hands the parsed body and the declared headers to the handler', async () => {
    const res = await post({ items: [{ productId: 'P1', quantity: 1 }], shippingAddress: address }, { 'idempotency-key': 'k-1' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ body: { items: [{ productId: 'P1', quantity: 1 }] }, headers: { 'idempotency-key': 'k-1' } });
  });

  it('names every bad field of body and headers in one 400', async () => {
    const res = await post(
      { items: [{ productId: 'P\u00011', quantity: 1 }], shippingAddress: { ...address, line1: '\u0001', city: 'Ber\u0085lin' } },
      { 'idempotency-key': 'k\t1' },
    );
    expect(res.status).toBe(400);
    const problem = (await res.json()) as Problem;
    expect(problem.detail).toBe('the request body and headers are not valid');
    expect(problem.errors).toEqual([
      { path: 'body.items.0.productId', message: 'must not contain control characters (U+0000–U+001F, U+007F–U+009F)' },
      { path: 'body.shippingAddress.line1', message: 'must not contain control characters (U+0000–U+001F, U+007F–U+009F)' },
      { path: 'body.shippingAddress.city', message: 'must not contain control characters (U+0000–U+001F, U+007F–U+009F)' },
      { path: 'headers.idempotency-key', message: 'must not contain control characters (U+0000–U+001F, U+007F–U+009F)' },
    ]);
  });

  it('reads a header value as the UTF-8 text the client sent, else as Latin-1', () => {
    const sentAs = (text: string, encoding: BufferEncoding) => Buffer.from(text, encoding).toString('latin1');
    expect(headerText('key-1')).toBe('key-1');
    expect(headerText(sentAs('Àé€東京🔑', 'utf8'))).toBe('Àé€東京🔑');
    expect(headerText(sentAs('Àé', 'latin1'))).toBe('Àé');
    // a lone 0x85 byte is not UTF-8: it stays U+0085, a C1 control, which IdempotencyKey refuses
    expect(headerText(sentAs('k\u0085', 'latin1'))).toBe('k\u0085');
  });
});
