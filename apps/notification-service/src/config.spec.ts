import { randomUUID } from 'node:crypto';
import { WEBHOOK_LIMITS, type Webhook } from '@orderline/contracts';
import { loadNotificationServiceConfig } from './config';

describe('notification-service config', () => {
  it('has defaults for every webhook setting: 24 h of retries, 10 s requests, 4 per endpoint', () => {
    expect(loadNotificationServiceConfig({})).toMatchObject({
      HEALTH_PORT: 3004,
      WEBHOOK_MAX_WEBHOOKS: 100,
      WEBHOOK_RETRY_WINDOW_MS: 86_400_000,
      WEBHOOK_REQUEST_TIMEOUT_MS: 10_000,
      WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: 4,
    });
  });

  it('allows at most 100 webhooks: all of them, as large as they may be, fit one ListWebhooks reply', () => {
    expect(loadNotificationServiceConfig({ WEBHOOK_MAX_WEBHOOKS: '100' }).WEBHOOK_MAX_WEBHOOKS).toBe(100);
    expect(() => loadNotificationServiceConfig({ WEBHOOK_MAX_WEBHOOKS: '101' })).toThrow(/WEBHOOK_MAX_WEBHOOKS/);
    const largest: Webhook = {
      id: randomUUID(),
      // stored as its ASCII form (new URL(url).href), so a character is a byte
      url: `https://example.com/${'a'.repeat(WEBHOOK_LIMITS.maxUrlLength)}`.slice(0, WEBHOOK_LIMITS.maxUrlLength),
      events: ['OrderConfirmed', 'OrderRejected', 'OrderUpdated', 'OrderCancelled', 'OrderShipped', 'OrderDelivered'],
      createdAt: new Date().toISOString(),
      disabledAt: new Date().toISOString(),
      disabledReason: '\u20ac'.repeat(1_000), // 3 bytes each
    };
    const reply = JSON.stringify({ ok: true, result: { items: Array(100).fill(largest) } });
    expect(Buffer.byteLength(reply)).toBeLessThan(900 * 1024 - 4 * 1024);
  });
});
