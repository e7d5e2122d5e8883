import { lookup } from 'node:dns/promises';
import { openDatabase } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import { exitOnStartupError, startService } from '@orderline/runtime';
import { loadNotificationServiceConfig } from './config';
import { WebhookRepository } from './db/webhook-repository';
import { DeliveryLoop } from './delivery/delivery-loop';
import { sendWebhook } from './delivery/webhook-client';
import { orderEventsConsumer } from './messaging/order-events-consumer';
import { webhookRequestsConsumer } from './messaging/webhook-requests-consumer';

const logger = createLogger('notification-service');

async function main() {
  const config = loadNotificationServiceConfig();
  const database = openDatabase(config);
  // receivers on 127.0.0.1 only outside production; there, https to public addresses only
  const urlPolicy = { production: config.NODE_ENV === 'production' };
  const retry = {
    baseMs: config.WEBHOOK_RETRY_BASE_MS,
    maxDelayMs: config.WEBHOOK_RETRY_MAX_DELAY_MS,
    windowMs: config.WEBHOOK_RETRY_WINDOW_MS,
  };
  await startService({
    name: 'notification-service',
    config,
    logger,
    database,
    healthPort: config.HEALTH_PORT,
    start: async ({ instanceId, publisher, consume }) => {
      const webhooks = new WebhookRepository(database.prisma);
      const sender = new DeliveryLoop({
        webhooks,
        send: (request) => sendWebhook(request, { timeoutMs: config.WEBHOOK_REQUEST_TIMEOUT_MS, policy: urlPolicy }),
        retry,
        holder: instanceId,
        maxInFlight: config.WEBHOOK_MAX_IN_FLIGHT,
        maxInFlightPerEndpoint: config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT,
        pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
        // a claim outlives its request (bounded by the timeout) and the recording of its outcome
        leaseMs: 2 * config.WEBHOOK_REQUEST_TIMEOUT_MS + 30_000,
        retentionMs: config.WEBHOOK_DELIVERY_RETENTION_MS,
        logger,
      });
      const wake = () => sender.wake();
      await consume(
        webhookRequestsConsumer({
          publisher,
          webhooks,
          urlPolicy,
          resolve: async (hostname) => (await lookup(hostname, { all: true })).map((entry) => entry.address),
          maxWebhooks: config.WEBHOOK_MAX_WEBHOOKS,
          retryWindowMs: config.WEBHOOK_RETRY_WINDOW_MS,
          onDeliveries: wake,
        }),
      );
      await consume(
        orderEventsConsumer({
          webhooks,
          retryWindowMs: config.WEBHOOK_RETRY_WINDOW_MS,
          maxPayloadBytes: config.WEBHOOK_MAX_PAYLOAD_BYTES,
          onDeliveries: wake,
        }),
      );
      sender.start();
      return [() => sender.stop()];
    },
  });
}

main().catch(exitOnStartupError(logger));
