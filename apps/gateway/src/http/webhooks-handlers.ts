import type { RequestHandler } from 'express';
import { CreateWebhook, DeleteWebhook, ListWebhookDeliveries, ListWebhooks, RetryWebhookDelivery, apiRoutes } from '@orderline/contracts';
import { ReplyFailedError, type Requester } from '@orderline/messaging';
import { HttpProblem } from './problem-response';
import { correlationIdOf, inputOf } from './route-input';

/** Requests about all webhooks share one key (one partition: they are few and rare). */
const ALL_WEBHOOKS_KEY = 'webhooks';

/** /api/v1/webhooks (admins only, checked before these run): the webhook admin API, answered by notification-service. */
export function webhookHandlers({ requester }: { requester: Pick<Requester, 'request'> }) {
  const createWebhook: RequestHandler = async (_req, res) => {
    const { body } = inputOf(res, apiRoutes.createWebhook);
    try {
      const { webhook } = await requester.request(CreateWebhook, body, { key: ALL_WEBHOOKS_KEY, correlationId: correlationIdOf(res) });
      res.status(201).location(`/api/v1/webhooks/${webhook.id}`).json(webhook);
    } catch (error) {
      // notification-service refuses a URL it will not send to: name the field
      if (error instanceof ReplyFailedError && error.code === 'BAD_REQUEST') {
        throw new HttpProblem('validation', 'the request body is not valid', [{ path: 'body.url', message: error.message }]);
      }
      throw error;
    }
  };

  const listWebhooks: RequestHandler = async (_req, res) => {
    res.json(await requester.request(ListWebhooks, {}, { key: ALL_WEBHOOKS_KEY, correlationId: correlationIdOf(res) }));
  };

  const deleteWebhook: RequestHandler = async (_req, res) => {
    const { params } = inputOf(res, apiRoutes.deleteWebhook);
    await requester.request(DeleteWebhook, { webhookId: params.id }, { key: params.id, correlationId: correlationIdOf(res) });
    res.status(204).end();
  };

  const listWebhookDeliveries: RequestHandler = async (_req, res) => {
    const { params, query } = inputOf(res, apiRoutes.listWebhookDeliveries);
    res.json(
      await requester.request(
        ListWebhookDeliveries,
        { webhookId: params.id, limit: query.limit },
        { key: params.id, correlationId: correlationIdOf(res) },
      ),
    );
  };

  const retryWebhookDelivery: RequestHandler = async (_req, res) => {
    const { params } = inputOf(res, apiRoutes.retryWebhookDelivery);
    const reply = await requester.request(
      RetryWebhookDelivery,
      { webhookId: params.id, deliveryId: params.deliveryId },
      { key: params.id, correlationId: correlationIdOf(res) },
    );
    res.status(202).json(reply);
  };

  return { createWebhook, listWebhooks, deleteWebhook, listWebhookDeliveries, retryWebhookDelivery };
}
