import { z } from 'zod';
import { backendServiceEnv, loadConfig } from '@orderline/config';

const ms = (min: number, max: number, fallback: number, description: string) =>
  z.coerce.number().int().min(min).max(max).default(fallback).describe(description);

export const NotificationServiceEnv = backendServiceEnv(3004).extend({
  WEBHOOK_MAX_WEBHOOKS: z.coerce
    .number()
    .int()
    .min(1)
    // all of them travel in one ListWebhooks reply: 100 of the largest (2 KiB URL, 1,000-character reason) fit a Kafka message
    .max(100)
    .default(100)
    .describe('the most webhooks registered at once (disabled ones count); one more is refused with 409'),
  WEBHOOK_REQUEST_TIMEOUT_MS: ms(
    100,
    60_000,
    10_000,
    'how long one webhook request may take, connecting to the last byte read; then it counts as a failed attempt',
  ),
  WEBHOOK_RETRY_BASE_MS: ms(
    10,
    3_600_000,
    10_000,
    'delay before the first retry of a failed delivery; it doubles with every attempt (with jitter: half of it to all of it)',
  ),
  WEBHOOK_RETRY_MAX_DELAY_MS: ms(10, 86_400_000, 3_600_000, 'the longest delay between two attempts of one delivery'),
  WEBHOOK_RETRY_WINDOW_MS: ms(
    100,
    7 * 86_400_000,
    86_400_000,
    'how long a delivery is retried (from its event, or from a retry through the API); then it is given up and its webhook disabled',
  ),
  WEBHOOK_MAX_IN_FLIGHT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000)
    .default(64)
    .describe('webhook requests one notification-service instance has open at once'),
  WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(4)
    .describe('requests one instance has open to one webhook at once: a slow endpoint holds no more than these'),
  WEBHOOK_POLL_INTERVAL_MS: ms(10, 60_000, 500, 'how often the sender looks for deliveries that are due (also woken by each new event)'),
  WEBHOOK_DELIVERY_RETENTION_MS: ms(
    60_000,
    90 * 86_400_000,
    7 * 86_400_000,
    'how long delivered and given-up deliveries are kept (for GET /api/v1/webhooks/:id/deliveries); then they are deleted',
  ),
  WEBHOOK_MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(1_000_000)
    .default(256 * 1024)
    .describe('the largest webhook body; an event over it is recorded as a FAILED delivery and not sent'),
});
export type NotificationServiceConfig = z.infer<typeof NotificationServiceEnv>;

export const loadNotificationServiceConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(NotificationServiceEnv, env);
