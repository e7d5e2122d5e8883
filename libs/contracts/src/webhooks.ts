import { z } from 'zod';
import { OrderEventTypes } from './messages/order-messages';
import { Order } from './orders';

/**
 * Webhooks: an admin registers a URL for some order event types; notification-service POSTs each
 * matching event there, signed (see `WebhookHeaders`), at least once and in order per order.
 */

/** The most webhooks that may be registered at once, the longest URL, and the most event types per webhook. */
export const WEBHOOK_LIMITS = { maxUrlLength: 2_048, maxEvents: OrderEventTypes.length } as const;

export const WebhookId = z.uuid();
export const WebhookEventType = z.enum(OrderEventTypes);

/** Headers of every webhook request. */
export const WebhookHeaders = {
  eventId: 'Orderline-Event-Id',
  eventType: 'Orderline-Event-Type',
  /** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` */
  signature: 'Orderline-Signature',
} as const;

/** A webhook as the API shows it (never its secret, which only the create answer carries). */
export const Webhook = z.object({
  id: WebhookId,
  url: z.string(),
  events: z.array(WebhookEventType),
  createdAt: z.iso.datetime(),
  /** set when deliveries kept failing for the retry window: nothing is sent until a delivery is retried */
  disabledAt: z.iso.datetime().nullable(),
  disabledReason: z.string().nullable(),
});
export type Webhook = z.infer<typeof Webhook>;

/** The answer to a registration: the webhook and its signing secret, shown this once. */
export const WebhookCreated = Webhook.extend({ secret: z.string() });
export type WebhookCreated = z.infer<typeof WebhookCreated>;

export const WebhookDeliveryStatus = z.enum(['PENDING', 'DELIVERED', 'FAILED']);

/** One event for one webhook: its state and its latest attempt. */
export const WebhookDelivery = z.object({
  id: z.string().regex(/^\d+$/),
  webhookId: WebhookId,
  eventId: z.uuid(),
  eventType: z.string(),
  orderId: z.uuid(),
  status: WebhookDeliveryStatus,
  attempts: z.int(),
  lastAttemptAt: z.iso.datetime().nullable(),
  /** the receiver's HTTP status of the latest attempt; null when it gave none (timeout, refused, …) */
  lastStatusCode: z.int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

/** The body of every webhook request: the order event (`id` is the event's id, the same on every retry). */
export const WebhookEvent = z.object({
  id: z.uuid(),
  type: WebhookEventType,
  occurredAt: z.iso.datetime(),
  data: z.object({ order: Order }),
});
export type WebhookEvent = z.infer<typeof WebhookEvent>;
