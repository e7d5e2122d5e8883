import { randomUUID } from 'node:crypto';
import { createLogger } from '@orderline/logging';
import { testPrisma, waitFor } from '@orderline/testing';
import { startReceiver, type Answer, type Received } from '../component/receiver';
import { testEvent, testWebhookTables } from '../component/test-tables';
import { verifySignature } from '../domain/signature';
import { DeliveryLoop, type DeliveryLoopOptions } from './delivery-loop';
import { MAX_RESPONSE_BYTES, publicOnlyLookup, sendWebhook } from './webhook-client';

/** The sender against the real Postgres (tables of this run's own) and HTTP receivers on 127.0.0.1. */
const prisma = testPrisma();
const { repository: webhooks, create, clear, drop, deliveryIds } = testWebhookTables(prisma);
const logger = createLogger('delivery-loop-test', 'error');
const HOUR = 3_600_000;
const REQUEST_TIMEOUT_MS = 3_000;

const loops: DeliveryLoop[] = [];
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];

beforeAll(create);
beforeEach(clear);
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  await Promise.all(loops.splice(0).map((loop) => loop.stop()));
});
afterAll(async () => {
  await drop();
  await prisma.$disconnect();
});

function startLoop(options: Partial<DeliveryLoopOptions> = {}) {
  const loop = new DeliveryLoop({
    webhooks,
    send: (request) => sendWebhook(request, { timeoutMs: REQUEST_TIMEOUT_MS, policy: { production: false } }),
    retry: { baseMs: 50, maxDelayMs: 200, windowMs: HOUR },
    holder: `test-${randomUUID()}`,
    maxInFlight: 32,
    maxInFlightPerEndpoint: 2,
    pollIntervalMs: 50,
    leaseMs: 30_000,
    retentionMs: HOUR,
    logger,
    ...options,
  });
  loop.start();
  loops.push(loop);
  return loop;
}

async function receiverWebhook(answer?: (request: Received, nth: number) => Answer, events = ['OrderConfirmed', 'OrderCancelled']) {
  const receiver = await startReceiver(answer);
  receivers.push(receiver);
  const webhook = await webhooks.createWebhook(
    { id: randomUUID(), url: receiver.url, events, secret: `whsec_test_${randomUUID()}` },
    1_000,
  );
  if (!webhook) throw new Error('not created');
  return { receiver, webhook };
}

const deliveriesOf = async (webhookId: string) => (await webhooks.listDeliveries(webhookId, 100)) ?? [];
const allDelivered = (webhookId: string, count: number) => async () => {
  const deliveries = await deliveriesOf(webhookId);
  return deliveries.length === count && deliveries.every((d) => d.status === 'DELIVERED') ? deliveries : undefined;
};

describe('DeliveryLoop', () => {
  jest.setTimeout(30_000);

  it('POSTs each event once, signed so that the receiver verifies it with the secret', async () => {
    const { receiver, webhook } = await receiverWebhook();
    const events = [testEvent(randomUUID()), testEvent(randomUUID(), 'OrderCancelled')];
    await webhooks.addDeliveries(events, HOUR);
    const loop = startLoop();
    loop.wake();
    const delivered = await waitFor(allDelivered(webhook.id, 2), { what: 'both delivered' });
    expect(delivered.map((d) => [d.attempts, d.lastStatusCode, d.lastError])).toEqual([
      [1, 200, null],
      [1, 200, null],
    ]);
    expect(receiver.received.map((r) => [r.eventId, r.eventType]).sort()).toEqual(events.map((e) => [e.eventId, e.eventType]).sort());
    for (const request of receiver.received) {
      expect(request.body).toBe(events.find((e) => e.eventId === request.eventId)?.body);
      expect(verifySignature(webhook.secret, request.body, request.signature)).toBe(true);
      expect(verifySignature('another secret', request.body, request.signature)).toBe(false);
    }
  });

  it('retries with backoff: a receiver that answers 500 three times gets the event on the fourth try', async () => {
    const { receiver, webhook } = await receiverWebhook((_request, nth) => (nth <= 3 ? { status: 500, body: 'down' } : 204));
    await webhooks.addDeliveries([testEvent(randomUUID())], HOUR);
    startLoop();
    const [delivery] = await waitFor(allDelivered(webhook.id, 1), { what: 'the delivery' });
    expect(delivery).toMatchObject({ attempts: 4, lastStatusCode: 204, lastError: null, nextAttemptAt: null });
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    // backoff: 25–50 ms, then 50–100, then 100–200 between the tries
    const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i].at);
    expect(gaps[2]).toBeGreaterThanOrEqual(95);
  });

  it('keeps one order in order per webhook: a later event waits until the earlier one is delivered', async () => {
    const { receiver, webhook } = await receiverWebhook((request, nth) => (request.eventType === 'OrderConfirmed' && nth <= 2 ? 503 : 200));
    const orderId = randomUUID();
    const confirmed = testEvent(orderId, 'OrderConfirmed');
    const cancelled = testEvent(orderId, 'OrderCancelled');
    const other = testEvent(randomUUID(), 'OrderCancelled');
    await webhooks.addDeliveries([confirmed, cancelled, other], HOUR);
    startLoop({ maxInFlightPerEndpoint: 4 });
    await waitFor(allDelivered(webhook.id, 3), { what: 'all delivered' });
    const ofOrder = receiver.eventIds().filter((id) => id !== other.eventId);
    expect(ofOrder).toEqual([confirmed.eventId, confirmed.eventId, confirmed.eventId, cancelled.eventId]);
    // the other order did not wait behind the retries
    expect(receiver.eventIds().indexOf(other.eventId)).toBeLessThan(3);
  });

  it('a receiver that hangs holds at most its share of requests and never delays the others', async () => {
    const hanging = await receiverWebhook(() => 'hang');
    const fast = await receiverWebhook();
    const events = Array.from({ length: 8 }, () => testEvent(randomUUID()));
    await webhooks.addDeliveries(events, HOUR);
    const started = Date.now();
    startLoop({ maxInFlightPerEndpoint: 2 });
    await waitFor(allDelivered(fast.webhook.id, 8), { what: 'the fast receiver to get all 8', timeoutMs: REQUEST_TIMEOUT_MS - 500 });
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS);
    expect(hanging.receiver.maxOpen).toBeLessThanOrEqual(2);
    // the hanging requests end at the timeout, as failed attempts to retry
    const timedOut = await waitFor(
      async () => (await deliveriesOf(hanging.webhook.id)).find((d) => d.attempts > 0 && d.status === 'PENDING'),
      { timeoutMs: 2 * REQUEST_TIMEOUT_MS, what: 'a timed-out attempt' },
    );
    expect(timedOut).toMatchObject({ lastStatusCode: null, lastError: `no answer within ${REQUEST_TIMEOUT_MS} ms` });
  });

  it('bounds the requests open to one endpoint', async () => {
    const { receiver, webhook } = await receiverWebhook(() => 200);
    const events = Array.from({ length: 12 }, () => testEvent(randomUUID()));
    await webhooks.addDeliveries(events, HOUR);
    // each request takes 150 ms or more, so they would pile up if nothing bounded them
    const send: DeliveryLoopOptions['send'] = async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return sendWebhook(request, { timeoutMs: REQUEST_TIMEOUT_MS, policy: { production: false } });
    };
    let open = 0;
    let maxOpen = 0;
    startLoop({
      maxInFlightPerEndpoint: 3,
      send: async (request) => {
        maxOpen = Math.max(maxOpen, ++open);
        try {
          return await send(request);
        } finally {
          open--;
        }
      },
    });
    await waitFor(allDelivered(webhook.id, 12), { what: 'all 12' });
    expect(maxOpen).toBe(3);
    expect(receiver.received).toHaveLength(12);
  });

  it('bounds the requests open in all (WEBHOOK_MAX_IN_FLIGHT) across endpoints', async () => {
    const first = await receiverWebhook();
    const second = await receiverWebhook();
    await webhooks.addDeliveries(
      Array.from({ length: 6 }, () => testEvent(randomUUID())),
      HOUR,
    );
    let open = 0;
    let maxOpen = 0;
    startLoop({
      maxInFlight: 2,
      maxInFlightPerEndpoint: 2,
      send: async (request) => {
        maxOpen = Math.max(maxOpen, ++open);
        await new Promise((resolve) => setTimeout(resolve, 50));
        try {
          return await sendWebhook(request, { timeoutMs: REQUEST_TIMEOUT_MS, policy: { production: false } });
        } finally {
          open--;
        }
      },
    });
    await waitFor(allDelivered(first.webhook.id, 6), { what: 'the first webhook’s 6' });
    await waitFor(allDelivered(second.webhook.id, 6), { what: 'the second webhook’s 6' });
    expect(maxOpen).toBe(2);
  });

  it('gives up after the retry window and disables the webhook with the reason; a retry sends it again', async () => {
    let up = false;
    const { receiver, webhook } = await receiverWebhook(() => (up ? 200 : { status: 503, body: 'maintenance' }));
    await webhooks.addDeliveries([testEvent(randomUUID())], 400);
    startLoop();
    const [failed] = await waitFor(
      async () => {
        const deliveries = await deliveriesOf(webhook.id);
        return deliveries[0]?.status === 'FAILED' ? deliveries : undefined;
      },
      { what: 'the delivery given up' },
    );
    expect(failed).toMatchObject({ lastStatusCode: 503, lastError: 'HTTP 503: maintenance' });
    expect(failed.attempts).toBeGreaterThan(1);
    const disabled = (await webhooks.listWebhooks()).find((w) => w.id === webhook.id);
    expect(disabled?.disabledReason).toMatch(/given up after \d+ attempts; last: HTTP 503: maintenance/);
    const sent = receiver.received.length;

    up = true;
    await webhooks.retryDelivery(webhook.id, failed.id, HOUR);
    loops[0].wake();
    await waitFor(allDelivered(webhook.id, 1), { what: 'the retried delivery' });
    expect(receiver.received).toHaveLength(sent + 1);
  });

  it('reads no more than a small bound of an answer, and follows no redirect', async () => {
    const huge = 'x'.repeat(5 * 1024 * 1024);
    const { webhook } = await receiverWebhook((request) =>
      request.eventType === 'OrderConfirmed' ? { status: 500, body: huge } : { status: 302, body: '' },
    );
    await webhooks.addDeliveries([testEvent(randomUUID()), testEvent(randomUUID(), 'OrderCancelled')], HOUR);
    startLoop({ retry: { baseMs: HOUR, maxDelayMs: HOUR, windowMs: 2 * HOUR } });
    const attempted = await waitFor(
      async () => {
        const deliveries = await deliveriesOf(webhook.id);
        return deliveries.length === 2 && deliveries.every((d) => d.attempts === 1) ? deliveries : undefined;
      },
      { what: 'one attempt each' },
    );
    const byType = Object.fromEntries(attempted.map((d) => [d.eventType, d]));
    expect(byType['OrderConfirmed']).toMatchObject({ status: 'PENDING', lastStatusCode: 500 });
    expect(byType['OrderConfirmed'].lastError?.length).toBeLessThanOrEqual(500);
    expect(MAX_RESPONSE_BYTES).toBeLessThanOrEqual(4 * 1024);
    expect(byType['OrderCancelled']).toMatchObject({ status: 'PENDING', lastStatusCode: 302, lastError: 'HTTP 302' });
  });

  it('several instances share the work and send each delivery once', async () => {
    const { receiver, webhook } = await receiverWebhook();
    const events = Array.from({ length: 30 }, () => testEvent(randomUUID()));
    await webhooks.addDeliveries(events, HOUR);
    startLoop({ maxInFlightPerEndpoint: 4 });
    startLoop({ maxInFlightPerEndpoint: 4 });
    startLoop({ maxInFlightPerEndpoint: 4 });
    await waitFor(allDelivered(webhook.id, 30), { what: 'all 30' });
    expect(receiver.eventIds().sort()).toEqual(events.map((e) => e.eventId).sort());
    expect(await deliveryIds(webhook.id)).toHaveLength(30);
  });
});

describe('sendWebhook in production', () => {
  it('refuses http and loopback receivers before connecting', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const request = { url: receiver.url, secret: 's', eventId: randomUUID(), eventType: 'OrderConfirmed', body: '{}' };
    expect(await sendWebhook(request, { timeoutMs: 1_000, policy: { production: true } })).toEqual({
      statusCode: null,
      error: 'URL refused: must be https',
    });
    const https = { ...request, url: receiver.url.replace('http:', 'https:') };
    expect(await sendWebhook(https, { timeoutMs: 1_000, policy: { production: true } })).toEqual({
      statusCode: null,
      error: expect.stringMatching(/^URL refused: must not point at a private, loopback or link-local address/),
    });
    expect(receiver.received).toEqual([]);
  });

  it('checks at connect time where a name resolves: a name of a loopback address is refused (DNS may change after registration)', async () => {
    const outcome = await new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      publicOnlyLookup('localhost', { all: true }, (error, address) => resolve({ error, address })),
    );
    expect(outcome.error).toMatchObject({
      code: 'EADDRNOTPUBLIC',
      message: expect.stringMatching(/^localhost resolves to a non-public address/),
    });
  });
});
