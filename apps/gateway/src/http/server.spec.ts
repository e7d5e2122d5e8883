import type { AddressInfo } from 'node:net';
import express from 'express';
import { createHttpServer } from './server';

describe('createHttpServer', () => {
  it("builds requests and responses on the app's prototypes, so Express never has to change them", async () => {
    const app = express();
    app.use(express.json());
    app.post('/echo', (req, res) => {
      res.status(201).location('/somewhere').json({ body: req.body, header: req.get('x-probe'), sameApp: req.app === app });
    });
    const server = createHttpServer(app);
    const seen: { request: object | null; response: object | null }[] = [];
    // runs before Express' handler: what setPrototypeOf in app.handle would replace
    server.prependListener('request', (req, res) => seen.push({ request: Object.getPrototypeOf(req), response: Object.getPrototypeOf(res) }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-probe': 'p' },
        body: JSON.stringify({ a: 1 }),
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toBe('/somewhere');
      expect(await response.json()).toEqual({ body: { a: 1 }, header: 'p', sameApp: true });
      expect(seen).toEqual([{ request: app.request, response: app.response }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
