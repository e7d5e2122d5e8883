import { ConsumerGroups, OrderEvents, Topics, type Envelope, type Order, type WebhookEvent } from '@orderline/contracts';
import { onMessages, type ConsumerDefinition } from '@orderline/messaging';
import type { EventToDeliver, WebhookRepository } from '../db/webhook-repository';

/** The events order-management publishes on orders.events (their contracts, versions included): each carries the order as it now is. */
const orderEvents = Object.values(OrderEvents);

/** The webhook body of one event: what is signed and sent, byte for byte, on every attempt. */
export function webhookBody(envelope: Envelope, order: Order): string {
  const event: WebhookEvent = {
    id: envelope.messageId,
    type: envelope.type as WebhookEvent['type'],
    occurredAt: envelope.occurredAt,
    data: { order },
  };
  return JSON.stringify(event);
}

/** An event as deliveries: refused (recorded FAILED, never sent) when its body is over `maxPayloadBytes`. */
export function eventToDeliver(envelope: Envelope, order: Order, maxPayloadBytes: number): EventToDeliver {
  const body = webhookBody(envelope, order);
  const bytes = Buffer.byteLength(body);
  return {
    eventId: envelope.messageId,
    eventType: envelope.type,
    occurredAt: envelope.occurredAt,
    correlationId: envelope.correlationId,
    orderId: order.id,
    body,
    ...(bytes > maxPayloadBytes ? { refused: `the event is ${bytes} bytes, over WEBHOOK_MAX_PAYLOAD_BYTES (${maxPayloadBytes})` } : {}),
  };
}

/**
 * `orders.events` in notification-service's own group: every event becomes one delivery per active
 * webhook that wants its type (idempotent on webhook + event id, so a redelivered event adds
 * nothing); then the sender is woken. Gathered in batches across partitions: one statement per batch.
 */
export function orderEventsConsumer(deps: {
  webhooks: Pick<WebhookRepository, 'addDeliveries'>;
  retryWindowMs: number;
  maxPayloadBytes: number;
  /** new deliveries are waiting */
  onDeliveries(): void;
}): ConsumerDefinition {
  const handle = async (items: { payload: { order: Order }; envelope: Envelope }[]) => {
    const added = await deps.webhooks.addDeliveries(
      items.map(({ payload, envelope }) => eventToDeliver(envelope, payload.order, deps.maxPayloadBytes)),
      deps.retryWindowMs,
    );
    if (added > 0) deps.onDeliveries();
  };
  return {
    groupId: ConsumerGroups.notificationService,
    topics: [Topics.orderEvents],
    // a webhook gets the events after its registration only: a new group need not read the topic's past
    fromBeginning: false,
    routes: orderEvents.map((contract) => onMessages(contract, handle)),
  };
}
