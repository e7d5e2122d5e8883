import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Order } from '@orderline/contracts';
import { OrderlineClient, OrderlineProblem, WaitForOrderError, readEventStream } from './index';

/** The client against a tiny HTTP server that answers as the gateway would, and records what it was sent. */
const orderId = '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const order = (overrides: Partial<Order> = {}): Order => ({
  id: orderId,
  customerId: 'CUST01',
  status: 'PENDING',
  items: [{ productId: 'PROD-0001', quantity: 1, unitPrice: null }],
  totalAmount: null,
  shippingAddress: { line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
  trackingCompany: null,
  trackingNumber: null,
  rejectionReason: null,
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
  version: 0,
  ...overrides,
});

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;
let handler: Handler;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
let server: http.Server;
let client: OrderlineClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new OrderlineClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, token: () => 'jwt-1' });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => (seen.length = 0));

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const sse = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
const frame = (type: string, data: Order, id: string) => `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

describe('OrderlineClient', () => {
  it('creates, reads, lists, updates and cancels, sending the token, bodies and headers the API reads', async () => {
    handler = (req, res) => {
      if (req.method === 'POST') return json(res, 202, { id: orderId, status: 'PENDING' });
      if (req.url?.startsWith('/api/v1/orders?')) return json(res, 200, { items: [order()], nextCursor: 'abc' });
      if (req.method === 'DELETE') return json(res, 200, order({ status: 'CANCELLED', version: 2 }));
      return json(res, 200, order({ version: 1, status: 'CONFIRMED' }));
    };
    const body = { items: [{ productId: 'PROD-0001', quantity: 1 }], shippingAddress: order().shippingAddress };
    expect(await client.createOrder(body, { idempotencyKey: 'k1' })).toEqual({ id: orderId, status: 'PENDING' });
    expect((await client.getOrder(orderId, { waitSeconds: 45 })).status).toBe('CONFIRMED');
    expect(await client.listOrders({ status: 'PENDING', limit: 5 })).toMatchObject({ nextCursor: 'abc' });
    await client.updateOrder(orderId, { shippingAddress: body.shippingAddress }, { ifMatch: 1 });
    expect((await client.cancelOrder(orderId, { ifMatch: '*' })).status).toBe('CANCELLED');

    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /api/v1/orders',
      `GET /api/v1/orders/${orderId}`,
      'GET /api/v1/orders?status=PENDING&limit=5',
      `PATCH /api/v1/orders/${orderId}`,
      `DELETE /api/v1/orders/${orderId}`,
    ]);
    expect(seen.every((r) => r.headers.authorization === 'Bearer jwt-1')).toBe(true);
    expect(seen[0].headers['idempotency-key']).toBe('k1');
    expect(JSON.parse(seen[0].body)).toEqual(body);
    expect(seen[1].headers.prefer).toBe('wait=30');
    expect(seen[3].headers['if-match']).toBe('"1"');
    expect(seen[4].headers['if-match']).toBe('*');
  });

  it('throws a typed OrderlineProblem for problem+json (fields, correlation id, Retry-After) and for any other error answer', async () => {
    handler = (_req, res) =>
      json(
        res,
        429,
        {
          type: '/problems/validation-error',
          title: 'The request is not valid',
          status: 400,
          detail: 'the request body is not valid',
          errors: [{ path: 'body.items', message: 'Required' }],
          correlationId: 'c-1',
        },
        { 'retry-after': '3' },
      );
    const error = await client.getOrder(orderId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrderlineProblem);
    expect(error).toMatchObject({
      status: 400,
      type: '/problems/validation-error',
      fields: [{ path: 'body.items', message: 'Required' }],
      correlationId: 'c-1',
      retryAfterSeconds: 3,
    });

    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain', 'x-correlation-id': 'c-2' });
      res.end('bad gateway');
    };
    expect(await client.getOrder(orderId).catch((e: unknown) => e)).toMatchObject({
      status: 502,
      type: 'about:blank',
      detail: 'bad gateway',
      correlationId: 'c-2',
    });
  });

  it('streams an order: typed events with their ids, resuming with Last-Event-ID', async () => {
    handler = (_req, res) => {
      sse(res);
      res.write(': heartbeat\n\n');
      res.write(frame('OrderState', order(), '1:0:0'));
      res.end(frame('OrderConfirmed', order({ status: 'CONFIRMED', version: 1 }), '1:1:1'));
    };
    const events = [];
    for await (const event of client.streamOrder(orderId, { lastEventId: '1::0' })) events.push(event);
    expect(events.map((e) => [e.type, e.order.status, e.id])).toEqual([
      ['OrderState', 'PENDING', '1:0:0'],
      ['OrderConfirmed', 'CONFIRMED', '1:1:1'],
    ]);
    expect(seen[0].headers['last-event-id']).toBe('1::0');
    expect(seen[0].headers.accept).toBe('text/event-stream');
  });

  it('waitForOrder follows the stream until the order is as asked', async () => {
    handler = (_req, res) => {
      sse(res);
      res.write(frame('OrderState', order(), 'a'));
      setTimeout(() => res.write(frame('OrderConfirmed', order({ status: 'CONFIRMED', version: 1 }), 'b')), 50);
      setTimeout(() => res.end(frame('OrderShipped', order({ status: 'SHIPPED', version: 2 }), 'c')), 100);
    };
    expect((await client.waitForOrder(orderId)).status).toBe('CONFIRMED');
    expect((await client.waitForOrder(orderId, { until: ['SHIPPED'] })).version).toBe(2);
  });

  it('waitForOrder long-polls when the stream is refused (429), and gives up after timeoutMs', async () => {
    let polls = 0;
    handler = (req, res) => {
      if (req.url?.endsWith('/events')) {
        return json(res, 429, { type: '/problems/too-many-requests', title: 'Too many', status: 429, detail: 'x', correlationId: 'c' });
      }
      polls++;
      setTimeout(() => json(res, 200, order(polls >= 2 ? { status: 'CONFIRMED', version: 1 } : {})), 20);
    };
    expect((await client.waitForOrder(orderId, { timeoutMs: 5_000 })).status).toBe('CONFIRMED');
    expect(seen.filter((r) => r.headers.prefer === 'wait=5')).toHaveLength(2);

    handler = (req, res) => {
      if (req.url?.endsWith('/events')) sse(res); // a stream that never sends anything
    };
    const error = await client.waitForOrder(orderId, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitForOrderError);
    expect(error).toMatchObject({ reason: 'timeout' });
  });

  it('waitForOrder fails at once on a terminal status that cannot become what it waits for, and on a 404', async () => {
    handler = (_req, res) => {
      sse(res);
      res.write(frame('OrderState', order({ status: 'REJECTED', version: 1, rejectionReason: 'OUT_OF_STOCK' }), 'a'));
    };
    const error = await client.waitForOrder(orderId, { until: ['CONFIRMED'] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'WaitForOrderError', reason: 'final', order: { status: 'REJECTED' } });

    handler = (_req, res) =>
      json(res, 404, { type: '/problems/not-found', title: 'Not found', status: 404, detail: 'no', correlationId: 'c' });
    expect(await client.waitForOrder(orderId).catch((e: unknown) => e)).toMatchObject({ status: 404 });
  });
});

describe('readEventStream', () => {
  const streamOf = (...chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });

  it('parses CRLF, CR and LF lines split anywhere, multi-line data, comments, and ids without data', async () => {
    const ids: string[] = [];
    const events = [];
    const body = streamOf('\uFEFF: hi\r', '\nid: 1\r\n\r', '\nevent: A\ndata: x\rdata:y\n', '\nid: 2\n', 'data: z\n\n');
    for await (const event of readEventStream(body, (id) => ids.push(id))) events.push(event);
    expect(events).toEqual([
      { id: '1', event: 'A', data: 'x\ny' },
      { id: '2', event: 'message', data: 'z' },
    ]);
    expect(ids).toEqual(['1', '1', '2']);
  });
});
