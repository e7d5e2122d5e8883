import net from 'node:net';
import { OrderlineProblem, type OrderStreamEvent } from '@orderline/client';
import { createTestCustomer, createTestProduct, parsePrometheus, sumOf, testPrisma, waitFor } from '@orderline/testing';
import { adminToken, clientFor, customerToken, gatewayUrls, newAddress, orderBody, placeOrder, waitForDecision } from './support/api';

/**
 * Server-sent events of order changes and long-polls against the running system: every gateway
 * instance follows orders.events itself, so a stream resumes on any instance. (The launcher sets
 * SSE_HEARTBEAT_MS=1000 and SSE_MAX_BUFFERED_BYTES=65536; with E2E_INSTANCES=2 resumes cross instances.)
 */
const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

const [firstGateway, secondGateway = firstGateway] = gatewayUrls();

/** Reads a stream in the background: its events with when each arrived, whether it ended, every id it set. */
function collect(open: (onId: (id: string) => void) => AsyncGenerator<OrderStreamEvent>) {
  const state = { events: [] as (OrderStreamEvent & { at: number })[], ids: [] as string[], ended: false, error: undefined as unknown };
  const done = (async () => {
    try {
      for await (const event of open((id) => state.ids.push(id))) state.events.push({ ...event, at: Date.now() });
    } catch (error) {
      state.error = error;
    } finally {
      state.ended = true;
    }
  })();
  return Object.assign(state, { done, live: () => waitFor(() => state.ids.length > 0 || state.ended, { what: 'the stream to start' }) });
}

const describeEvents = (events: OrderStreamEvent[]) => events.map((e) => `${e.type} ${e.order.id} v${e.order.version}`);

async function newCustomer() {
  const customerId = await createTestCustomer(prisma);
  return { customerId, token: customerToken(customerId) };
}

describe('order streams (SSE)', () => {
  it('a subscriber sees PENDING, then CONFIRMED within a second of the decision', async () => {
    const { token } = await newCustomer();
    const product = await createTestProduct(prisma, { stock: 5 });
    const client = clientFor(token);
    const abort = new AbortController();
    const feed = collect((onId) => client.streamOrders({ signal: abort.signal, onId }));
    await feed.live();

    const { id } = await client.createOrder(orderBody([{ productId: product.id, quantity: 1 }]));
    const stream = collect((onId) => client.streamOrder(id, { onId }));
    await waitFor(() => stream.events.some((e) => e.order.status === 'CONFIRMED'), { what: 'the decision on the order stream' });
    // the decision can beat the stream's first read (milliseconds after the 202): then the stream
    // starts with the order as decided, and the feed below (open before the order) shows the timing
    const decidedFirst = stream.events[0].order.status === 'CONFIRMED';
    expect(stream.events.slice(0, decidedFirst ? 1 : 2).map((e) => [e.type, e.order.status])).toEqual(
      decidedFirst
        ? [['OrderState', 'CONFIRMED']]
        : [
            ['OrderState', 'PENDING'],
            ['OrderConfirmed', 'CONFIRMED'],
          ],
    );
    const decided = stream.events[decidedFirst ? 0 : 1];
    if (!decidedFirst) expect(decided.at - Date.parse(decided.order.updatedAt)).toBeLessThan(1_000);
    expect(decided.order).toEqual(await client.getOrder(id)); // data: is the order as GET answers it

    await waitFor(() => feed.events.length === 1, { what: 'the decision on the feed' });
    expect(feed.events[0]).toMatchObject({ type: 'OrderConfirmed', order: { id, status: 'CONFIRMED' } });
    expect(feed.events[0].at - Date.parse(feed.events[0].order.updatedAt)).toBeLessThan(1_000);
    abort.abort();
  });

  it(`resumes with Last-Event-ID after a forced disconnect (on ${secondGateway === firstGateway ? 'the same' : 'the other'} instance): nothing lost, nothing twice`, async () => {
    const { token } = await newCustomer();
    const product = await createTestProduct(prisma, { stock: 10 });
    const first = clientFor(token, firstGateway);
    const abort = new AbortController();
    const before = collect((onId) => first.streamOrders({ signal: abort.signal, onId }));
    await before.live();
    const a = (await first.createOrder(orderBody([{ productId: product.id, quantity: 1 }]))).id;
    await waitFor(() => before.events.length === 1, { what: "the first order's decision" });
    abort.abort(); // forced disconnect
    await before.done;
    const lastEventId = before.events[0].id as string;

    // while it is away
    await first.updateOrder(a, { shippingAddress: newAddress });
    const b = (await first.createOrder(orderBody([{ productId: product.id, quantity: 1 }]))).id;
    await first.waitForOrder(b);
    await first.cancelOrder(a);

    const resumeAbort = new AbortController();
    const after = collect((onId) => clientFor(token, secondGateway).streamOrders({ lastEventId, signal: resumeAbort.signal, onId }));
    await waitFor(() => after.events.length >= 3, { what: 'the changes missed' });
    // a change after the resume marks the end: anything repeated would have come before it
    await first.updateOrder(b, { shippingAddress: newAddress });
    await waitFor(() => after.events.some((e) => e.order.id === b && e.type === 'OrderUpdated'), { what: 'the marker' });
    resumeAbort.abort();

    const seen = describeEvents(after.events);
    expect([...seen].sort()).toEqual(
      [`OrderUpdated ${a} v2`, `OrderCancelled ${a} v3`, `OrderConfirmed ${b} v1`, `OrderUpdated ${b} v2`].sort(),
    );
    // each order's changes in their order
    expect(seen.filter((s) => s.includes(a))).toEqual([`OrderUpdated ${a} v2`, `OrderCancelled ${a} v3`]);
    expect(after.error).toBeUndefined();
  });

  it('resumes one order’s stream on another instance, then ends after its terminal status', async () => {
    const { token } = await newCustomer();
    const product = await createTestProduct(prisma, { stock: 5 });
    const client = clientFor(token, firstGateway);
    const { id } = await client.createOrder(orderBody([{ productId: product.id, quantity: 1 }]));
    await client.waitForOrder(id, { until: ['CONFIRMED'] });
    const abort = new AbortController();
    const before = collect((onId) => client.streamOrder(id, { signal: abort.signal, onId }));
    await waitFor(() => before.events.length === 1, { what: 'the state' });
    expect(before.events[0]).toMatchObject({ type: 'OrderState', order: { status: 'CONFIRMED', version: 1 } });
    abort.abort();
    await before.done;

    await client.updateOrder(id, { shippingAddress: newAddress });
    await client.updateOrder(id, { shippingAddress: { ...newAddress, city: 'Bremen' } });
    const after = collect((onId) => clientFor(token, secondGateway).streamOrder(id, { lastEventId: before.events[0].id, onId }));
    await waitFor(() => after.events.length === 2, { what: 'the two updates' });
    await client.cancelOrder(id);
    await waitFor(() => after.ended, { what: 'the stream to end after CANCELLED' });
    expect(describeEvents(after.events)).toEqual([`OrderUpdated ${id} v2`, `OrderUpdated ${id} v3`, `OrderCancelled ${id} v4`]);
    expect(after.error).toBeUndefined();
  });

  it("is 404 for another customer's order stream", async () => {
    const owner = await newCustomer();
    const product = await createTestProduct(prisma, { stock: 5 });
    const { id } = await clientFor(owner.token).createOrder(orderBody([{ productId: product.id, quantity: 1 }]));
    const intruder = await newCustomer();
    const stream = collect((onId) => clientFor(intruder.token).streamOrder(id, { onId }));
    await stream.done;
    expect(stream.error).toBeInstanceOf(OrderlineProblem);
    expect(stream.error).toMatchObject({ status: 404, type: '/problems/not-found' });
    const admin = collect((onId) => clientFor(adminToken()).streamOrder(id, { onId }));
    await waitFor(() => admin.events.length >= 1, { what: "the admin's stream" });
    expect(admin.events[0].order.id).toBe(id);
  });

  it('sends a heartbeat comment on a quiet stream', async () => {
    const { token } = await newCustomer();
    const abort = new AbortController();
    const res = await fetch(`${firstGateway}/api/v1/orders/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const started = Date.now();
    while (!text.includes(': heartbeat\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    expect(Date.now() - started).toBeLessThan(5_000);
    abort.abort();
  });

  it('cuts off a client that stops reading once its queue passes the bound; the gateway serves on', async () => {
    const cutOff = async () =>
      sumOf(parsePrometheus(await (await fetch(`${firstGateway}/metrics`)).text()), 'orderline_sse_streams_cut_off_total');
    const cutBefore = await cutOff();
    // an admin's stream of every change, on a connection that never reads
    const { hostname, port } = new URL(firstGateway);
    const socket = net.connect(Number(port), hostname);
    let closed = false;
    socket.on('error', () => undefined).on('close', () => (closed = true));
    socket.pause();
    socket.write(`GET /api/v1/orders/events HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${adminToken()}\r\n\r\n`);

    // big orders (100 lines) whose addresses change until the socket's kernel buffers (a few MiB) and then the bound are full
    const products = await Promise.all(Array.from({ length: 100 }, () => createTestProduct(prisma, { stock: 100 })));
    const long = (n: number, city: string) => ({
      line1: `${n} ${'Long Street '.repeat(15)}`,
      line2: 'x'.repeat(200),
      city,
      postalCode: '20095',
      country: 'DE',
    });
    const owners = await Promise.all(Array.from({ length: 8 }, () => newCustomer()));
    const orders = await Promise.all(
      owners.map(async ({ token }) => {
        const client = clientFor(token);
        const { id } = await client.createOrder(orderBody(products.map((p) => ({ productId: p.id, quantity: 1 }))));
        await client.waitForOrder(id, { until: ['CONFIRMED'] });
        return { client, id };
      }),
    );
    let changes = 0;
    for (let round = 0; round < 250 && (await cutOff()) === cutBefore; round++) {
      for (let i = 0; i < 5; i++) {
        await Promise.all(orders.map(({ client, id }) => client.updateOrder(id, { shippingAddress: long(round * 5 + i, `City ${i}`) })));
        changes += orders.length;
      }
    }
    expect(await cutOff()).toBe(cutBefore + 1);
    socket.resume(); // reads what the kernel held, then the end
    await waitFor(() => closed, { what: 'the connection to be closed' });
    expect((await fetch(`${firstGateway}/health/ready`)).status).toBe(200);
    expect(changes).toBeGreaterThan(0);
  }, 180_000);
});

describe('long-poll (Prefer: wait=N)', () => {
  it('GET answers as soon as the order leaves PENDING', async () => {
    const { token } = await newCustomer();
    const product = await createTestProduct(prisma, { stock: 5 });
    const { id } = await clientFor(token).createOrder(orderBody([{ productId: product.id, quantity: 1 }]));
    const started = Date.now();
    const res = await fetch(`${secondGateway}/api/v1/orders/${id}`, { headers: { authorization: `Bearer ${token}`, prefer: 'wait=20' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=20');
    expect(((await res.json()) as { status: string }).status).toBe('CONFIRMED');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('GET answers a decided order at once (the wait is only while PENDING)', async () => {
    const { token } = await newCustomer();
    const product = await createTestProduct(prisma, { stock: 5 });
    const client = clientFor(token);
    // the suite's helpers, on the client: POST, then its stream until decided
    const id = await placeOrder(token, orderBody([{ productId: product.id, quantity: 1 }]));
    expect((await waitForDecision(id, token)).status).toBe('CONFIRMED');
    const started = Date.now();
    const order = await client.getOrder(id, { waitSeconds: 10 });
    expect(order.status).toBe('CONFIRMED');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
