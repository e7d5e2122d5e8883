import { randomUUID } from 'node:crypto';
import type { Envelope, ReplyPayload } from '@orderline/contracts';
import type { OutgoingMessage } from '@orderline/messaging';
import { webhookRequestsConsumer } from './webhook-requests-consumer';

/** The admin requests' answers, with the repository faked: what the gateway gets back for each case. */
describe('webhook admin requests', () => {
  const replies: ReplyPayload[] = [];
  const created: { id: string; url: string; secret: string }[] = [];
  let registered = 0;
  const consumer = webhookRequestsConsumer({
    publisher: {
      publish: async (...messages: OutgoingMessage[]) => {
        replies.push(...messages.map((m) => m.envelope.payload as ReplyPayload));
      },
    },
    webhooks: {
      createWebhook: async (webhook, max) => {
        if (registered >= max) return undefined;
        registered++;
        created.push(webhook);
        return { ...webhook, events: webhook.events as never, createdAt: new Date().toISOString(), disabledAt: null, disabledReason: null };
      },
      listWebhooks: async () => [],
      deleteWebhook: async () => false,
      listDeliveries: async () => undefined,
      retryDelivery: async () => undefined,
    },
    urlPolicy: { production: true },
    resolve: async (hostname) => (hostname === 'internal.example.com' ? ['10.0.0.7'] : ['93.184.216.34']),
    maxWebhooks: 2,
    retryWindowMs: 1_000,
    onDeliveries: () => undefined,
  });
  const ask = async (type: string, payload: unknown) => {
    const route = consumer.routes.find((r) => r.type === type);
    const envelope: Envelope = {
      messageId: randomUUID(),
      correlationId: 'c',
      type,
      occurredAt: new Date().toISOString(),
      replyTo: 'gateway.replies',
      payload,
    };
    await route?.handle(envelope, { topic: 'notifications.requests', partition: 0, offset: '0', attempt: 1, isLastAttempt: true });
    return { reply: replies.at(-1), envelope };
  };

  it('registers with a fresh secret, the request id as the webhook id', async () => {
    const { reply, envelope } = await ask('CreateWebhook', { url: 'https://hooks.example.com/in', events: ['OrderConfirmed'] });
    expect(reply).toEqual({
      ok: true,
      result: { webhook: expect.objectContaining({ id: envelope.messageId, secret: expect.stringMatching(/^whsec_/) }) },
    });
  });

  it('refuses (BAD_REQUEST) a URL that is not https or resolves to a private address, in production', async () => {
    expect((await ask('CreateWebhook', { url: 'http://hooks.example.com/in', events: ['OrderConfirmed'] })).reply).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'the URL must be https' },
    });
    expect((await ask('CreateWebhook', { url: 'https://internal.example.com/in', events: ['OrderConfirmed'] })).reply).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'the URL has a host that resolves to a private, loopback or link-local address (10.0.0.7)' },
    });
  });

  it('keeps the URL in its ASCII form, and refuses one that is too long once encoded', async () => {
    const { reply } = await ask('CreateWebhook', { url: 'https://b\u00fccher.example/caf\u00e9', events: ['OrderConfirmed'] });
    expect(reply).toMatchObject({ ok: true, result: { webhook: { url: 'https://xn--bcher-kva.example/caf%C3%A9' } } });
    registered--;
    const long = `https://hooks.example.com/${'\u00e9'.repeat(1_000)}`;
    expect((await ask('CreateWebhook', { url: long, events: ['OrderConfirmed'] })).reply).toEqual({
      ok: false,
      error: { code: 'BAD_REQUEST', message: 'the URL is longer than 2048 characters once encoded' },
    });
  });

  it('refuses (CONFLICT) a webhook over WEBHOOK_MAX_WEBHOOKS', async () => {
    await ask('CreateWebhook', { url: 'https://hooks.example.com/2', events: ['OrderShipped'] });
    expect((await ask('CreateWebhook', { url: 'https://hooks.example.com/3', events: ['OrderShipped'] })).reply).toEqual({
      ok: false,
      error: { code: 'CONFLICT', message: '2 webhooks are registered, the most there may be' },
    });
  });

  it('answers NOT_FOUND for an unknown webhook or delivery', async () => {
    const webhookId = randomUUID();
    for (const [type, payload] of [
      ['DeleteWebhook', { webhookId }],
      ['ListWebhookDeliveries', { webhookId, limit: 10 }],
      ['RetryWebhookDelivery', { webhookId, deliveryId: '5' }],
    ] as const) {
      expect((await ask(type, payload)).reply).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    }
  });
});
