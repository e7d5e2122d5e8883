import { z } from 'zod';
import { Topics } from '../topics';
import { WEBHOOK_LIMITS, Webhook, WebhookCreated, WebhookDelivery, WebhookEventType, WebhookId } from '../webhooks';
import { defineRequest } from './envelope';

/**
 * gateway → notification-service (admin API). Key: the webhook id (`webhooks` for the requests
 * about all of them). BAD_REQUEST names a URL notification-service will not send to; CONFLICT:
 * the most webhooks are registered.
 */
export const CreateWebhook = defineRequest({
  type: 'CreateWebhook',
  topic: Topics.notificationRequests,
  request: z.object({
    url: z.string().max(WEBHOOK_LIMITS.maxUrlLength),
    events: z.array(WebhookEventType).min(1).max(WEBHOOK_LIMITS.maxEvents),
  }),
  reply: z.object({ webhook: WebhookCreated }),
});

export const ListWebhooks = defineRequest({
  type: 'ListWebhooks',
  topic: Topics.notificationRequests,
  request: z.object({}),
  reply: z.object({ items: z.array(Webhook) }),
});

/** NOT_FOUND when there is no such webhook. Its deliveries go with it. */
export const DeleteWebhook = defineRequest({
  type: 'DeleteWebhook',
  topic: Topics.notificationRequests,
  request: z.object({ webhookId: WebhookId }),
  reply: z.object({ deleted: z.literal(true) }),
});

/** The webhook's latest deliveries, newest first. NOT_FOUND when there is no such webhook. */
export const ListWebhookDeliveries = defineRequest({
  type: 'ListWebhookDeliveries',
  topic: Topics.notificationRequests,
  request: z.object({ webhookId: WebhookId, limit: z.int().min(1).max(100) }),
  reply: z.object({ items: z.array(WebhookDelivery) }),
});

/**
 * Sends a delivery again now, with a fresh retry window (also one given up); enables its webhook
 * again when it was disabled. NOT_FOUND when the webhook has no such delivery.
 */
export const RetryWebhookDelivery = defineRequest({
  type: 'RetryWebhookDelivery',
  topic: Topics.notificationRequests,
  request: z.object({ webhookId: WebhookId, deliveryId: z.string().regex(/^\d{1,18}$/) }),
  reply: z.object({ delivery: WebhookDelivery }),
});
