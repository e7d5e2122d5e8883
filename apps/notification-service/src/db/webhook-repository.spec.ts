import { randomUUID } from 'node:crypto';
import { testPrisma } from '@orderline/testing';
import { testEvent, testWebhookTables } from '../component/test-tables';

/** Against the real Postgres (npm run infra:up), in tables of this run's own. */
const prisma = testPrisma();
const { repository: webhooks, create, clear, drop, deliveryIds, delivery } = testWebhookTables(prisma);
const HOUR = 3_600_000;

beforeAll(create);
beforeEach(clear);
afterAll(async () => {
  await drop();
  await prisma.$disconnect();
});

async function newWebhook(events = ['OrderConfirmed', 'OrderCancelled']) {
  const webhook = await webhooks.createWebhook({ id: randomUUID(), url: 'http://127.0.0.1:9/hook', events, secret: 's3cret' }, 1_000);
  if (!webhook) throw new Error('not created');
  return webhook;
}

describe('WebhookRepository', () => {
  it('adds one delivery per event and webhook that wants it; a redelivered event adds none', async () => {
    const confirmedOnly = await newWebhook(['OrderConfirmed']);
    const cancelledOnly = await newWebhook(['OrderCancelled']);
    const orderId = randomUUID();
    const confirmed = testEvent(orderId, 'OrderConfirmed');
    const cancelled = testEvent(orderId, 'OrderCancelled');
    await webhooks.addDeliveries([confirmed, cancelled], HOUR);
    expect(await webhooks.addDeliveries([confirmed, cancelled], HOUR)).toBe(0);
    const of = async (webhookId: string) => (await webhooks.listDeliveries(webhookId, 100))?.map((d) => [d.eventType, d.status]);
    expect(await of(confirmedOnly.id)).toEqual([['OrderConfirmed', 'PENDING']]);
    expect(await of(cancelledOnly.id)).toEqual([['OrderCancelled', 'PENDING']]);
  });

  it('gives a webhook only the events that happened after its registration', async () => {
    const webhook = await newWebhook(['OrderConfirmed']);
    const before = { ...testEvent(randomUUID()), occurredAt: new Date(Date.now() - 60_000).toISOString() };
    const after = testEvent(randomUUID());
    expect(await webhooks.addDeliveries([before, after], HOUR)).toBe(1);
    expect((await webhooks.listDeliveries(webhook.id, 10))?.map((d) => d.eventId)).toEqual([after.eventId]);
  });

  it("hands a claimed delivery out with its order and its event's correlation id (the sender logs with them)", async () => {
    const webhook = await newWebhook(['OrderConfirmed']);
    const orderId = randomUUID();
    await webhooks.addDeliveries([{ ...testEvent(orderId), correlationId: 'corr-7' }], HOUR);
    const [claimed] = await webhooks.claim({ holder: 'c', limit: 10, leaseMs: 60_000 });
    expect(claimed).toMatchObject({
      webhookId: webhook.id,
      orderId,
      correlationId: 'corr-7',
      attempts: 0,
      url: webhook.url,
      secret: 's3cret',
    });
  });

  it('records an event it refuses (too large) as FAILED, with the reason, and never hands it out', async () => {
    const webhook = await newWebhook();
    const event = { ...testEvent(randomUUID()), refused: 'the event is 300000 bytes, over WEBHOOK_MAX_PAYLOAD_BYTES (262144)' };
    await webhooks.addDeliveries([event], HOUR);
    const [stored] = (await webhooks.listDeliveries(webhook.id, 10)) ?? [];
    expect(stored).toMatchObject({ status: 'FAILED', lastError: event.refused, attempts: 0 });
    expect((await webhooks.claim({ holder: 'a', limit: 100, leaseMs: 60_000 })).map((d) => d.id)).not.toContain(stored.id);
  });

  it("hands out one order's deliveries to a webhook one at a time, oldest first; other orders meanwhile", async () => {
    const webhook = await newWebhook();
    const [orderA, orderB] = [randomUUID(), randomUUID()];
    await webhooks.addDeliveries([testEvent(orderA), testEvent(orderA, 'OrderCancelled'), testEvent(orderB)], HOUR);
    const [a1, a2, b1] = await deliveryIds(webhook.id);
    const claimedIds = async (holder: string) =>
      (await webhooks.claim({ holder, limit: 100, leaseMs: 60_000 })).filter((d) => d.webhookId === webhook.id).map((d) => d.id);

    expect(await claimedIds('first')).toEqual([a1, b1]);
    // a1 failed and is due again later: a2 still waits behind it
    await webhooks.recordAttempt(
      a1,
      'first',
      { statusCode: 500, error: 'HTTP 500' },
      { status: 'PENDING', retryAt: new Date(Date.now() - 1) },
    );
    expect(await claimedIds('second')).toEqual([a1]);
    await webhooks.recordAttempt(a1, 'second', { statusCode: 200, error: null }, { status: 'DELIVERED' });
    expect(await claimedIds('second')).toEqual([a2]);
    expect(await delivery(a1)).toMatchObject({ status: 'DELIVERED', attempts: 2, last_status_code: 200 });
  });

  it('a given-up delivery disables its webhook with the reason; a retry through the API enables it again', async () => {
    const webhook = await newWebhook();
    const orderId = randomUUID();
    await webhooks.addDeliveries([testEvent(orderId), testEvent(orderId, 'OrderCancelled')], HOUR);
    const [first, second] = await deliveryIds(webhook.id);
    await webhooks.claim({ holder: 'h', limit: 100, leaseMs: 60_000 });
    await webhooks.recordAttempt(first, 'h', { statusCode: null, error: 'ECONNREFUSED' }, { status: 'FAILED', reason: 'given up' });
    const listed = (await webhooks.listWebhooks()).find((w) => w.id === webhook.id);
    expect(listed).toMatchObject({ disabledAt: expect.any(String), disabledReason: 'given up' });
    // disabled: nothing of it is handed out, and new events add no deliveries for it
    expect((await webhooks.claim({ holder: 'h', limit: 100, leaseMs: 60_000 })).map((d) => d.id)).not.toContain(second);
    await webhooks.addDeliveries([testEvent(randomUUID())], HOUR);
    expect(await deliveryIds(webhook.id)).toEqual([first, second]);

    // a retry through the API makes it due with a fresh window and enables the webhook again
    const retried = await webhooks.retryDelivery(webhook.id, first, HOUR);
    expect(retried).toMatchObject({ id: first, status: 'PENDING', lastError: 'ECONNREFUSED' });
    expect((await webhooks.listWebhooks()).find((w) => w.id === webhook.id)).toMatchObject({ disabledAt: null, disabledReason: null });
    expect((await webhooks.claim({ holder: 'h', limit: 100, leaseMs: 60_000 })).map((d) => d.id)).toContain(first);
    expect(await webhooks.retryDelivery(webhook.id, '999999999999', HOUR)).toBeUndefined();
    expect(await webhooks.retryDelivery(randomUUID(), first, HOUR)).toBeUndefined();
  });

  it('two senders claiming at once never get the same delivery (FOR UPDATE SKIP LOCKED + lease)', async () => {
    const webhook = await newWebhook();
    await webhooks.addDeliveries(
      Array.from({ length: 40 }, () => testEvent(randomUUID())),
      HOUR,
    );
    const claims = await Promise.all(
      ['x', 'y', 'z', 'w'].map((holder) => webhooks.claim({ holder, limit: 15, leaseMs: 60_000, skipWebhookIds: [] })),
    );
    const ids = claims
      .flat()
      .filter((d) => d.webhookId === webhook.id)
      .map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(40);
    // all leased: nothing more until released
    expect((await webhooks.claim({ holder: 'v', limit: 100, leaseMs: 60_000 })).filter((d) => d.webhookId === webhook.id)).toEqual([]);
    await webhooks.release(ids.slice(0, 5), 'nobody');
    expect((await webhooks.claim({ holder: 'v', limit: 100, leaseMs: 60_000 })).filter((d) => d.webhookId === webhook.id)).toEqual([]);
    const mine = claims[0].filter((d) => d.webhookId === webhook.id).map((d) => d.id);
    await webhooks.release(mine, 'x');
    expect(
      (await webhooks.claim({ holder: 'v', limit: 100, leaseMs: 60_000, skipWebhookIds: [webhook.id] })).filter(
        (d) => d.webhookId === webhook.id,
      ),
    ).toEqual([]);
    expect((await webhooks.claim({ holder: 'v', limit: 100, leaseMs: 60_000 })).filter((d) => d.webhookId === webhook.id).length).toBe(
      mine.length,
    );
  });

  it('refuses a webhook over the limit; a redelivered create answers the webhook it made', async () => {
    const count = (await webhooks.listWebhooks()).length;
    const id = randomUUID();
    const made = await webhooks.createWebhook({ id, url: 'http://127.0.0.1:9/a', events: ['OrderShipped'], secret: 'one' }, count + 1);
    expect(made).toMatchObject({ id, secret: 'one', events: ['OrderShipped'], disabledAt: null });
    expect(await webhooks.createWebhook({ id, url: 'http://127.0.0.1:9/a', events: ['OrderShipped'], secret: 'two' }, count + 1)).toEqual(
      made,
    );
    expect(
      await webhooks.createWebhook({ id: randomUUID(), url: 'http://127.0.0.1:9/b', events: ['OrderShipped'], secret: 'x' }, count + 1),
    ).toBeUndefined();
    expect(await webhooks.deleteWebhook(id)).toBe(true);
    expect(await webhooks.deleteWebhook(id)).toBe(false);
    expect(await webhooks.listDeliveries(id, 10)).toBeUndefined();
  });

  it('deletes finished deliveries older than the retention, a bounded batch at a time, never pending ones', async () => {
    const webhook = await newWebhook();
    await webhooks.addDeliveries([testEvent(randomUUID()), testEvent(randomUUID()), testEvent(randomUUID())], HOUR);
    const [done, alsoDone, pending] = await deliveryIds(webhook.id);
    await webhooks.claim({ holder: 'r', limit: 100, leaseMs: 60_000 });
    for (const id of [done, alsoDone]) await webhooks.recordAttempt(id, 'r', { statusCode: 204, error: null }, { status: 'DELIVERED' });
    await webhooks.release([pending], 'r');
    expect(await webhooks.deleteFinished(60_000, 1_000)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await webhooks.deleteFinished(1, 1)).toBe(1);
    expect(await webhooks.deleteFinished(1, 1_000)).toBeGreaterThanOrEqual(1);
    expect(await deliveryIds(webhook.id)).toEqual([pending]);
  });
});
