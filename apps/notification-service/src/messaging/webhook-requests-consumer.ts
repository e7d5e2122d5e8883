import {
  ConsumerGroups,
  CreateWebhook,
  DeleteWebhook,
  ListWebhookDeliveries,
  ListWebhooks,
  RetryWebhookDelivery,
  Topics,
  WEBHOOK_LIMITS,
} from '@orderline/contracts';
import { ReplyError, onRequest, type ConsumerDefinition, type ReplySender } from '@orderline/messaging';
import type { WebhookRepository } from '../db/webhook-repository';
import { newWebhookSecret } from '../domain/signature';
import { checkWebhookUrl, type Resolve, type UrlPolicy } from '../domain/webhook-url';

/**
 * `notifications.requests`: the webhook admin API (the gateway lets only admins ask), in a consumer
 * group of its own so it never waits behind the events.
 */
export function webhookRequestsConsumer(deps: {
  publisher: ReplySender;
  webhooks: Pick<WebhookRepository, 'createWebhook' | 'listWebhooks' | 'deleteWebhook' | 'listDeliveries' | 'retryDelivery'>;
  urlPolicy: UrlPolicy;
  resolve: Resolve;
  maxWebhooks: number;
  retryWindowMs: number;
  /** a delivery was made due again */
  onDeliveries(): void;
}): ConsumerDefinition {
  const { publisher, webhooks } = deps;
  return {
    groupId: ConsumerGroups.notificationServiceRequests,
    topics: [Topics.notificationRequests],
    routes: [
      onRequest(CreateWebhook, publisher, async ({ url, events }, envelope) => {
        const problem = await checkWebhookUrl(url, deps.urlPolicy, deps.resolve);
        if (problem) throw new ReplyError('BAD_REQUEST', `the URL ${problem}`);
        // kept (and sent to) in its ASCII form: punycode host, percent-encoded path, so its length is its size
        const href = new URL(url).href;
        if (href.length > WEBHOOK_LIMITS.maxUrlLength) {
          throw new ReplyError('BAD_REQUEST', `the URL is longer than ${WEBHOOK_LIMITS.maxUrlLength} characters once encoded`);
        }
        // the request's id is the webhook's: a redelivered request answers the webhook it made
        const webhook = await webhooks.createWebhook(
          { id: envelope.messageId, url: href, events, secret: newWebhookSecret() },
          deps.maxWebhooks,
        );
        if (!webhook) throw new ReplyError('CONFLICT', `${deps.maxWebhooks} webhooks are registered, the most there may be`);
        return { webhook };
      }),
      onRequest(ListWebhooks, publisher, async () => ({ items: await webhooks.listWebhooks() })),
      onRequest(DeleteWebhook, publisher, async ({ webhookId }) => {
        if (!(await webhooks.deleteWebhook(webhookId))) throw new ReplyError('NOT_FOUND', `no webhook ${webhookId}`);
        return { deleted: true as const };
      }),
      onRequest(ListWebhookDeliveries, publisher, async ({ webhookId, limit }) => {
        const items = await webhooks.listDeliveries(webhookId, limit);
        if (!items) throw new ReplyError('NOT_FOUND', `no webhook ${webhookId}`);
        return { items };
      }),
      onRequest(RetryWebhookDelivery, publisher, async ({ webhookId, deliveryId }) => {
        const delivery = await webhooks.retryDelivery(webhookId, deliveryId, deps.retryWindowMs);
        if (!delivery) throw new ReplyError('NOT_FOUND', `webhook ${webhookId} has no delivery ${deliveryId}`);
        deps.onDeliveries();
        return { delivery };
      }),
    ],
  };
}
