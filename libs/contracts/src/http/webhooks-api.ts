import { z } from 'zod';
import { WEBHOOK_LIMITS, WebhookEventType, WebhookId } from '../webhooks';
import { ClientText } from './client-text';

/** POST /api/v1/webhooks. Where the URL may point (https, no private address in production) notification-service checks. */
export const CreateWebhookBody = z.strictObject({
  url: ClientText.pipe(z.url({ protocol: /^https?$/ }).max(WEBHOOK_LIMITS.maxUrlLength)),
  events: z
    .array(WebhookEventType)
    .min(1)
    .max(WEBHOOK_LIMITS.maxEvents)
    .refine((events) => new Set(events).size === events.length, 'each event type once'),
});
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

export const WebhookIdParam = z.strictObject({ id: WebhookId });
export const WebhookDeliveryParams = z.strictObject({ id: WebhookId, deliveryId: z.string().regex(/^[1-9]\d{0,17}$/, 'a delivery id') });

/** GET /api/v1/webhooks/:id/deliveries */
export const ListWebhookDeliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
