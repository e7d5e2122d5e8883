import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { validAddress, waitFor } from '@orderline/testing';
import type { Order } from '@orderline/contracts';
import type { GatewayDeps } from '../http/app';
import { DEFAULT_STREAM_LIMITS } from '../http/order-streams';
import { bearer, buildOrder, gatewayUnderTest, pendingOrder, type FakeBackend } from './fake-backend';

/**
 * Server-sent events and long-polls at the HTTP edge, with the changes fed as the follower of
 * orders.events feeds them (FakeBackend.emit): what a stream sends first, its ids and resumes
 * (also on another instance), who may see what, and every bound.
 */
const orderId = '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const otherId = '7f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const accepted = (id: string, customerId = 'CUST01') =>
  pendingOrder({ orderId: id, customerId, items: [{ productId: 'P1', quantity: 2 }], shippingAddress: validAddress });

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** A streaming GET as a client reads it: events as they come, comments, the status; `close` drops the connection. */
class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  body = '';
  ended = false;
  lastEventId?: string;
  private readonly request: http.ClientRequest;

  constructor(url: string, headers: Record<string, string>) {
    this.request = http.get(url, { headers }, (res) => {
      this.status = res.statusCode ?? 0;
      this.headers = res.headers;
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        this.body += chunk;
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
            const colon = line.indexOf(': ');
            if (colon < 0) continue;
            const [field, value] = [line.slice(0, colon), line.slice(colon + 2)];
            if (field === 'id' || field === 'event' || field === 'data') event[field] = value;
          }
          if (event.id !== undefined) this.lastEventId = event.id;
          if (event.data !== undefined) this.events.push(event);
        }
      });
      res.on('end', () => (this.ended = true));
      res.on('close', () => (this.ended = true));
    });
    this.request.on('error', () => (this.ended = true));
  }

  orders(): Order[] {
    return this.events.map((e) => JSON.parse(e.data as string) as Order);
  }

  types(): string[] {
    return this.events.map((e) => e.event as string);
  }

  async started(): Promise<this> {
    await waitFor(() => this.status !== 0 && (this.status !== 200 || this.lastEventId !== undefined || this.ended), {
      what: 'the stream to start',
      timeoutMs: 5_000,
    });
    return this;
  }

  close(): void {
    this.request.destroy();
  }
}

const servers: http.Server[] = [];
const clients: SseClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A gateway instance listening on a free port. */
async function instance(deps: Partial<GatewayDeps> = {}) {
  const { app, backend } = gatewayUnderTest(deps);
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stream = (path: string, headers: Record<string, string>) => {
    const client = new SseClient(`${base}${path}`, headers);
    clients.push(client);
    return client.started();
  };
  return { backend, base, stream, server };
}

let gateway: Awaited<ReturnType<typeof instance>>;
let backend: FakeBackend;
beforeEach(async () => {
  gateway = await instance();
  backend = gateway.backend;
  backend.accepted.set(orderId, accepted(orderId));
});

const confirmed = (version = 1, overrides: Partial<Order> = {}) => buildOrder({ id: orderId, version, ...overrides });

describe('GET /api/v1/orders/:id/events', () => {
  it('sends the order at once (OrderState, PENDING), then its decision as GET would answer it', async () => {
    const stream = await gateway.stream(`/api/v1/orders/${orderId}/events`, bearer('CUST01'));
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers['cache-control']).toContain('no-cache');
    await waitFor(() => stream.events.length === 1, { what: 'the state' });
    expect(stream.types()).toEqual(['OrderState']);
    expect(stream.orders()[0]).toMatchObject({ id: orderId, status: 'PENDING', version: 0 });

    const decided = backend.emit('OrderConfirmed', confirmed());
    await waitFor(() => stream.events.length === 2, { what: 'the decision' });
    expect(stream.types()).toEqual(['OrderState', 'OrderConfirmed']);
    expect(stream.orders()[1]).toEqual(decided);
    expect(stream.events[1].id).toMatch(/^1:1:/);
    expect(stream.ended).toBe(false);
  });

  it('ends after a terminal status', async () => {
    backend.emit('OrderConfirmed', confirmed());
    const stream = await gateway.stream(`/api/v1/orders/${orderId}/events`, bearer('CUST01'));
    backend.emit('OrderCancelled', confirmed(2, { status: 'CANCELLED' }));
    await waitFor(() => stream.ended, { what: 'the stream to end' });
    expect(stream.types()).toEqual(['OrderState', 'OrderCancelled']);
  });

  it('sends a terminal order once and ends', async () => {
    backend.emit('OrderRejected', confirmed(1, { status: 'REJECTED', rejectionReason: 'OUT_OF_STOCK' }));
    const stream = await gateway.stream(`/api/v1/orders/${orderId}/events`, bearer('CUST01'));
    await waitFor(() => stream.ended, { what: 'the stream to end' });
    expect(stream.types()).toEqual(['OrderState']);
    expect(stream.orders()[0].status).toBe('REJECTED');
  });

  it("is 404 for another customer's order (undecided or stored) and for an unknown one; an admin sees any", async () => {
    backend.store(buildOrder({ id: otherId, customerId: 'CUST01' }));
    for (const id of [orderId, otherId]) {
      const stream = await gateway.stream(`/api/v1/orders/${id}/events`, bearer('CUST02'));
      expect(stream.status).toBe(404);
      expect(stream.headers['content-type']).toContain('application/problem+json');
    }
    expect((await gateway.stream(`/api/v1/orders/9f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f/events`, bearer('CUST01'))).status).toBe(404);
    expect((await gateway.stream(`/api/v1/orders/${otherId}/events`, bearer('ADMIN01', 'admin'))).status).toBe(200);
    expect((await gateway.stream(`/api/v1/orders/${otherId}/events`, {})).status).toBe(401);
    expect(backend.changes.size().subscribers).toBe(1);
  });

  it('resumes after Last-Event-ID: what happened meanwhile, nothing twice, no OrderState', async () => {
    const first = await gateway.stream(`/api/v1/orders/${orderId}/events`, bearer('CUST01'));
    backend.emit('OrderConfirmed', confirmed(1));
    await waitFor(() => first.events.length === 2, { what: 'the decision' });
    first.close();
    backend.emit('OrderUpdated', confirmed(2, { shippingAddress: { ...validAddress, city: 'Kiel' } }));
    backend.emit('OrderConfirmed', buildOrder({ id: otherId, customerId: 'CUST01' })); // another order's, same partition
    backend.emit('OrderShipped', confirmed(3, { status: 'SHIPPED' }));

    const resumed = await gateway.stream(`/api/v1/orders/${orderId}/events`, {
      ...bearer('CUST01'),
      'last-event-id': first.lastEventId as string,
    });
    await waitFor(() => resumed.events.length === 2, { what: 'the changes missed' });
    backend.emit('OrderDelivered', confirmed(4, { status: 'DELIVERED' }));
    await waitFor(() => resumed.ended, { what: 'the stream to end' });
    expect(resumed.types()).toEqual(['OrderUpdated', 'OrderShipped', 'OrderDelivered']);
    expect(resumed.orders().map((o) => o.version)).toEqual([2, 3, 4]);
  });

  it('resumes on another instance that has read less of the log: skips what the client saw, sends the rest', async () => {
    const other = await instance();
    other.backend.accepted.set(orderId, accepted(orderId));
    const onFirst = (type: Parameters<FakeBackend['emit']>[0], order: Order) => {
      backend.emit(type, order);
      return order;
    };
    const first = await gateway.stream(`/api/v1/orders/${orderId}/events`, bearer('CUST01'));
    other.backend.emit('OrderConfirmed', onFirst('OrderConfirmed', confirmed(1)));
    onFirst('OrderUpdated', confirmed(2, { shippingAddress: { ...validAddress, city: 'Kiel' } }));
    await waitFor(() => first.events.length === 3, { what: 'two changes' });
    first.close();

    const resumed = await other.stream(`/api/v1/orders/${orderId}/events`, {
      ...bearer('CUST01'),
      'last-event-id': first.lastEventId as string,
    });
    expect(resumed.status).toBe(200);
    // the other instance reads the update now (the client has it), then the shipment
    other.backend.emit('OrderUpdated', confirmed(2, { shippingAddress: { ...validAddress, city: 'Kiel' } }));
    other.backend.emit('OrderShipped', confirmed(3, { status: 'SHIPPED' }));
    await waitFor(() => resumed.events.length >= 1, { what: 'the shipment' });
    expect(resumed.types()).toEqual(['OrderShipped']);
  });

  it('restarts with the current order when Last-Event-ID is older than the instance holds (nothing older than the client has)', async () => {
    backend.emit('OrderConfirmed', confirmed(1));
    const first = await gateway.stream(`/api/v1/orders/${orderId}/events`, bearer('CUST01'));
    await waitFor(() => first.events.length === 1, { what: 'the state' });
    first.close();
    for (let i = 0; i < 1_000; i++) backend.emit('OrderConfirmed', buildOrder({ id: otherId }));
    backend.emit('OrderUpdated', confirmed(2));
    const resumed = await gateway.stream(`/api/v1/orders/${orderId}/events`, {
      ...bearer('CUST01'),
      'last-event-id': first.lastEventId as string,
    });
    await waitFor(() => resumed.events.length === 1, { what: 'the current order' });
    expect(resumed.types()).toEqual(['OrderState']);
    expect(resumed.orders()[0].version).toBe(2);
  });

  it('refuses a Last-Event-ID it did not send (400)', async () => {
    const stream = await gateway.stream(`/api/v1/orders/${orderId}/events`, { ...bearer('CUST01'), 'last-event-id': 'yesterday' });
    expect(stream.status).toBe(400);
    expect(stream.body).toContain('headers.last-event-id');
    const wrongLength = await gateway.stream(`/api/v1/orders/${orderId}/events`, { ...bearer('CUST01'), 'last-event-id': '1::0.0' });
    expect(wrongLength.status).toBe(400);
  });
});

describe('GET /api/v1/orders/events', () => {
  it("sends every change of the caller's own orders, nobody else's", async () => {
    const stream = await gateway.stream('/api/v1/orders/events', bearer('CUST01'));
    expect(stream.status).toBe(200);
    backend.emit('OrderConfirmed', buildOrder({ id: otherId, customerId: 'CUST02' }));
    backend.emit('OrderConfirmed', confirmed(1), 1);
    backend.emit('OrderUpdated', confirmed(2), 2);
    await waitFor(() => stream.events.length === 2, { what: 'two changes' });
    expect(stream.orders().map((o) => [o.id, o.version])).toEqual([
      [orderId, 1],
      [orderId, 2],
    ]);
    expect(stream.events.map((e) => e.id)).toEqual(['1::1.1.0', '1::1.1.1']);
  });

  it('an admin gets everyone’s, or one customer’s; a customer asking for another’s is 403', async () => {
    const all = await gateway.stream('/api/v1/orders/events', bearer('ADMIN01', 'admin'));
    const one = await gateway.stream('/api/v1/orders/events?customerId=CUST02', bearer('ADMIN01', 'admin'));
    backend.emit('OrderConfirmed', confirmed(1));
    backend.emit('OrderConfirmed', buildOrder({ id: otherId, customerId: 'CUST02' }));
    await waitFor(() => all.events.length === 2 && one.events.length === 1, { what: 'the changes' });
    expect(one.orders()[0].customerId).toBe('CUST02');
    expect((await gateway.stream('/api/v1/orders/events?customerId=CUST02', bearer('CUST01'))).status).toBe(403);
  });

  it('resumes from the position it started at (no change yet) and from any event, exactly', async () => {
    const first = await gateway.stream('/api/v1/orders/events', bearer('CUST01'));
    const start = first.lastEventId as string;
    expect(start).toBe('1::0.0.0');
    backend.emit('OrderConfirmed', confirmed(1), 0);
    await waitFor(() => first.events.length === 1, { what: 'a change' });
    first.close();
    backend.emit('OrderUpdated', confirmed(2), 0);
    backend.emit('OrderConfirmed', buildOrder({ id: otherId, customerId: 'CUST01' }), 2);

    const fromEvent = await gateway.stream('/api/v1/orders/events', { ...bearer('CUST01'), 'last-event-id': first.lastEventId as string });
    const fromStart = await gateway.stream('/api/v1/orders/events', { ...bearer('CUST01'), 'last-event-id': start });
    await waitFor(() => fromEvent.events.length === 2 && fromStart.events.length === 3, { what: 'the replays' });
    expect(fromEvent.orders().map((o) => [o.id, o.version])).toEqual([
      [orderId, 2],
      [otherId, 1],
    ]);
    expect(fromStart.events.map((e) => e.id)).toEqual(['1::1.0.0', '1::2.0.0', '1::2.0.1']);
    expect(fromEvent.events.map((e) => e.id)).toEqual(['1::2.0.0', '1::2.0.1']);
  });

  it('is 410 for a position older than the instance holds', async () => {
    const first = await gateway.stream('/api/v1/orders/events', bearer('CUST01'));
    first.close();
    for (let i = 0; i < 1_001; i++) backend.emit('OrderConfirmed', buildOrder({ id: otherId, customerId: 'CUST02' }));
    const stream = await gateway.stream('/api/v1/orders/events', { ...bearer('CUST01'), 'last-event-id': first.lastEventId as string });
    expect(stream.status).toBe(410);
    expect(stream.body).toContain('/problems/gone');
  });
});

describe('bounds', () => {
  it('sends a heartbeat comment every SSE_HEARTBEAT_MS', async () => {
    const fast = await instance({ streamLimits: { ...DEFAULT_STREAM_LIMITS, heartbeatMs: 100 } });
    const stream = await fast.stream('/api/v1/orders/events', bearer('CUST01'));
    await waitFor(() => stream.comments.filter((c) => c === 'heartbeat').length >= 2, { what: 'two heartbeats', timeoutMs: 2_000 });
  });

  it('refuses a stream over the per-customer bound (429) and over the instance bound (503), with Retry-After; a closed one frees its slot', async () => {
    const small = await instance({ streamLimits: { ...DEFAULT_STREAM_LIMITS, maxStreams: 2, maxStreamsPerCustomer: 1 } });
    const first = await small.stream('/api/v1/orders/events', bearer('CUST01'));
    const second = await small.stream('/api/v1/orders/events', bearer('CUST01'));
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('5');
    await small.stream('/api/v1/orders/events', bearer('CUST02'));
    const third = await small.stream('/api/v1/orders/events', bearer('CUST03'));
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('5');
    first.close();
    await waitFor(() => small.backend.changes.size().subscribers === 1, { what: 'the slot to be freed' });
    expect((await small.stream('/api/v1/orders/events', bearer('CUST01'))).status).toBe(200);
  });

  it('cuts off a client that does not read once SSE_MAX_BUFFERED_BYTES are queued for it', async () => {
    const slow = await instance({ streamLimits: { ...DEFAULT_STREAM_LIMITS, maxBufferedBytes: 16_384 } });
    // a raw connection that sends its request and never reads a byte
    const socket = net.connect((slow.server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.pause();
    const { authorization } = bearer('ADMIN01', 'admin');
    socket.write(`GET /api/v1/orders/events HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\n\r\n`);
    await waitFor(() => slow.backend.changes.size().subscribers === 1, { what: 'the stream' });
    // big orders (100 lines) until the kernel's buffers are full and the gateway's queue passes the bound
    const items = Array.from({ length: 100 }, (_, i) => ({ productId: `PROD-${i}`, quantity: 1, unitPrice: '1.00' }));
    let sent = 0;
    while (slow.backend.changes.size().subscribers > 0 && sent < 50_000) {
      for (let i = 0; i < 100; i++) slow.backend.emit('OrderUpdated', buildOrder({ id: otherId, items, version: ++sent }), sent % 3);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(slow.backend.changes.size().subscribers).toBe(0);
    socket.destroy();
  });
});

describe('GET /api/v1/orders/:id with Prefer: wait=N (long-poll)', () => {
  const get = (id: string, headers: Record<string, string>) =>
    fetch(`${gateway.base}/api/v1/orders/${id}`, { headers }).then(async (res) => ({
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as Order,
    }));

  it('answers as soon as the order leaves PENDING', async () => {
    const started = Date.now();
    const answer = get(orderId, { ...bearer('CUST01'), prefer: 'wait=10' });
    await waitFor(() => backend.changes.size().subscribers === 1, { what: 'the long-poll to wait' });
    backend.emit('OrderConfirmed', confirmed(1));
    const res = await answer;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res.body).toMatchObject({ status: 'CONFIRMED', version: 1 });
    expect(res.headers.get('preference-applied')).toBe('wait=10');
    expect(res.headers.get('etag')).toBe('"1"');
    expect(backend.changes.size().subscribers).toBe(0);
  });

  it('answers the order as it is after N seconds when nothing changed', async () => {
    const started = Date.now();
    const res = await get(orderId, { ...bearer('CUST01'), prefer: 'respond-async, wait=1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(res.body.status).toBe('PENDING');
    expect(res.headers.get('preference-applied')).toBe('wait=1');
  });

  it('answers a decided order at once; N is cut to 30; without Prefer nothing is applied', async () => {
    backend.emit('OrderConfirmed', confirmed(1));
    const started = Date.now();
    const res = await get(orderId, { ...bearer('CUST01'), prefer: 'wait=120' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(res.headers.get('preference-applied')).toBe('wait=30');
    expect((await get(orderId, bearer('CUST01'))).headers.get('preference-applied')).toBeNull();
    expect((await get(orderId, { ...bearer('CUST01'), prefer: 'wait=soon' })).headers.get('preference-applied')).toBeNull();
  });

  it('answers at once, without Preference-Applied, when the stream bounds are full', async () => {
    const full = await instance({ streamLimits: { ...DEFAULT_STREAM_LIMITS, maxStreamsPerCustomer: 1 } });
    full.backend.accepted.set(orderId, accepted(orderId));
    await full.stream('/api/v1/orders/events', bearer('CUST01'));
    const res = await fetch(`${full.base}/api/v1/orders/${orderId}`, { headers: { ...bearer('CUST01'), prefer: 'wait=10' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBeNull();
    expect(((await res.json()) as Order).status).toBe('PENDING');
  });

  it("is 404 for another customer's order, without waiting", async () => {
    const res = await get(orderId, { ...bearer('CUST02'), prefer: 'wait=10' });
    expect(res.status).toBe(404);
    expect(res.headers.get('preference-applied')).toBeNull();
    expect(backend.changes.size().subscribers).toBe(0);
  });
});
