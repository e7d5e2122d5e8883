import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestProduct, testPrisma, waitFor } from '@orderline/testing';
import { adminToken, api, bearer, confirmedOrder, customerToken } from './support/api';

/**
 * Webhooks end to end: an admin registers receivers on 127.0.0.1 (allowed outside production),
 * orders flow, and notification-service POSTs their events, signed. The system runs with
 * WEBHOOK_RETRY_BASE_MS=100, WEBHOOK_REQUEST_TIMEOUT_MS=2000 (support/global-setup.ts).
 */
const REQUEST_TIMEOUT_MS = 2_000;
const RECEIVER_PATH = '/e2e-webhooks/';
const prisma = testPrisma();
const admin = bearer(adminToken());
const owner = customerToken('CUST41');

interface Received {
  eventId: string;
  eventType: string;
  signature: string;
  body: string;
  /** the parsed body */
  event: { id: string; type: string; occurredAt: string; data: { order: { id: string; status: string } } };
}

type Answer = number | 'hang';

/** A receiver on 127.0.0.1 that records every request and answers as `answer` says (nth: how often it has seen that event). */
async function startReceiver(answer: (request: Received, nth: number) => Answer = () => 200) {
  const received: Received[] = [];
  let open = 0;
  const server = http.createServer((req, res) => {
    open++;
    res.on('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: Received = {
        eventId: String(req.headers['orderline-event-id']),
        eventType: String(req.headers['orderline-event-type']),
        signature: String(req.headers['orderline-signature']),
        body,
        event: JSON.parse(body),
      };
      received.push(request);
      const result = answer(request, received.filter((r) => r.eventId === request.eventId).length);
      if (result !== 'hang') res.writeHead(result).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${RECEIVER_PATH}${Math.random().toString(36).slice(2)}`,
    received,
    of: (orderId: string) => received.filter((r) => r.event.data.order.id === orderId),
    get open() {
      return open;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The documented check, as a receiver writes it with node:crypto alone. */
function signatureValid(secret: string, rawBody: string, header: string): boolean {
  const fields = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  const t = Number(fields['t']);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${fields['t']}.${rawBody}`).digest();
  const given = Buffer.from(fields['v1'] ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];

async function register(answer?: (request: Received, nth: number) => Answer, events = ['OrderConfirmed', 'OrderCancelled']) {
  const receiver = await startReceiver(answer);
  receivers.push(receiver);
  const res = await api().post('/api/v1/webhooks').set(admin).send({ url: receiver.url, events });
  expect(res.status).toBe(201);
  return { receiver, webhook: res.body as { id: string; secret: string; url: string; events: string[] } };
}

/** Webhooks of this spec (also left over from an interrupted run): removed, so none outlive it. */
async function removeOurWebhooks() {
  const { body } = await api().get('/api/v1/webhooks').set(admin).expect(200);
  for (const webhook of body.items as { id: string; url: string }[]) {
    if (webhook.url.includes(RECEIVER_PATH)) await api().delete(`/api/v1/webhooks/${webhook.id}`).set(admin).expect(204);
  }
}

let productId: string;
beforeAll(async () => {
  await removeOurWebhooks();
  productId = (await createTestProduct(prisma, { stock: 100 })).id;
});
afterAll(async () => {
  await removeOurWebhooks();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await prisma.$disconnect();
});

describe('webhooks', () => {
  it("a local receiver gets an order's events, in order, signed so that it can verify them", async () => {
    const { receiver, webhook } = await register();
    expect(webhook).toMatchObject({
      url: receiver.url,
      events: ['OrderConfirmed', 'OrderCancelled'],
      secret: expect.stringMatching(/^whsec_/),
    });
    const listed = (await api().get('/api/v1/webhooks').set(admin).expect(200)).body.items.find((w: { id: string }) => w.id === webhook.id);
    expect(listed).toMatchObject({ id: webhook.id, disabledAt: null });
    expect(listed.secret).toBeUndefined();

    const order = await confirmedOrder(owner, [{ productId, quantity: 1 }]);
    await api().delete(`/api/v1/orders/${order.id}`).set(bearer(owner)).expect(200);
    const got = await waitFor(() => (receiver.of(order.id).length >= 2 ? receiver.of(order.id) : undefined), {
      what: 'both events at the receiver',
    });
    expect(got.map((r) => [r.eventType, r.event.type, r.event.data.order.status])).toEqual([
      ['OrderConfirmed', 'OrderConfirmed', 'CONFIRMED'],
      ['OrderCancelled', 'OrderCancelled', 'CANCELLED'],
    ]);
    for (const request of got) {
      expect(request.eventId).toBe(request.event.id);
      expect(signatureValid(webhook.secret, request.body, request.signature)).toBe(true);
      expect(signatureValid(webhook.secret, request.body.replace('CANCELLED', 'CONFIRMED'), request.signature)).toBe(
        request.event.type !== 'OrderCancelled',
      );
    }
    const { body } = await api().get(`/api/v1/webhooks/${webhook.id}/deliveries`).set(admin).expect(200);
    const ofOrder = body.items.filter((d: { orderId: string }) => d.orderId === order.id);
    expect(
      ofOrder.map((d: { status: string; attempts: number; lastStatusCode: number }) => [d.status, d.attempts, d.lastStatusCode]),
    ).toEqual([
      ['DELIVERED', 1, 200],
      ['DELIVERED', 1, 200],
    ]);
  });

  it('a receiver that answers 500 three times gets the event on the fourth try', async () => {
    const { receiver, webhook } = await register((_request, nth) => (nth <= 3 ? 500 : 200), ['OrderConfirmed']);
    const order = await confirmedOrder(owner, [{ productId, quantity: 1 }]);
    const tries = await waitFor(() => (receiver.of(order.id).length >= 4 ? receiver.of(order.id) : undefined), {
      what: 'four tries',
    });
    expect(new Set(tries.map((r) => r.eventId)).size).toBe(1);
    expect(tries.every((r) => signatureValid(webhook.secret, r.body, r.signature))).toBe(true);
    const delivery = await waitFor(async () => {
      const { body } = await api().get(`/api/v1/webhooks/${webhook.id}/deliveries`).set(admin).expect(200);
      return body.items.find((d: { orderId: string; status: string }) => d.orderId === order.id && d.status === 'DELIVERED');
    });
    expect(delivery).toMatchObject({ attempts: 4, lastStatusCode: 200, lastError: null, eventType: 'OrderConfirmed' });
    expect(receiver.of(order.id)).toHaveLength(4);

    // sent again on request: the retry route queues it anew
    await api().post(`/api/v1/webhooks/${webhook.id}/deliveries/${delivery.id}/retry`).set(admin).expect(202);
    await waitFor(() => receiver.of(order.id).length === 5, { what: 'the retried delivery' });
  });

  it('a receiver that hangs does not slow the others', async () => {
    const hanging = await register(() => 'hang', ['OrderConfirmed']);
    const prompt = await register(() => 200, ['OrderConfirmed']);
    const orders = await Promise.all([1, 2, 3].map(() => confirmedOrder(owner, [{ productId, quantity: 1 }])));
    const decided = Date.now();
    await waitFor(() => orders.every((order) => prompt.receiver.of(order.id).length === 1), {
      what: 'the prompt receiver to get all three',
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    // well within one timeout of the hanging receiver, which still holds requests open
    expect(Date.now() - decided).toBeLessThan(REQUEST_TIMEOUT_MS);
    expect(hanging.receiver.open).toBeGreaterThan(0);
    await waitFor(
      async () => {
        const { body } = await api().get(`/api/v1/webhooks/${hanging.webhook.id}/deliveries`).set(admin).expect(200);
        return body.items.some((d: { lastError: string | null }) => d.lastError === `no answer within ${REQUEST_TIMEOUT_MS} ms`);
      },
      { what: 'a timed-out attempt recorded', timeoutMs: 3 * REQUEST_TIMEOUT_MS },
    );
  });

  it('customers may not use the webhook routes (403)', async () => {
    const customer = bearer(customerToken('CUST01'));
    const id = '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
    const responses = await Promise.all([
      api()
        .post('/api/v1/webhooks')
        .set(customer)
        .send({ url: 'http://127.0.0.1:9/x', events: ['OrderConfirmed'] }),
      api().get('/api/v1/webhooks').set(customer),
      api().delete(`/api/v1/webhooks/${id}`).set(customer),
      api().get(`/api/v1/webhooks/${id}/deliveries`).set(customer),
      api().post(`/api/v1/webhooks/${id}/deliveries/1/retry`).set(customer),
    ]);
    expect(responses.map((res) => res.status)).toEqual([403, 403, 403, 403, 403]);
    expect(responses[0].body).toMatchObject({ status: 403, type: '/problems/forbidden' });
  });
});
