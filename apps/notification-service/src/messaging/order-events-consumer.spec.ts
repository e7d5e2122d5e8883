import { randomUUID } from 'node:crypto';
import { WebhookEvent, type Envelope, type Order } from '@orderline/contracts';
import type { EventToDeliver } from '../db/webhook-repository';
import { eventToDeliver, orderEventsConsumer } from './order-events-consumer';

const order: Order = {
  id: randomUUID(),
  customerId: 'CUST01',
  status: 'CONFIRMED',
  items: [{ productId: 'PROD-0001', quantity: 2, unitPrice: '1.50' }],
  totalAmount: '3.00',
  shippingAddress: { line1: '1 Test Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
  trackingCompany: null,
  trackingNumber: null,
  rejectionReason: null,
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
  version: 1,
};
const envelope = (type = 'OrderConfirmed'): Envelope => ({
  messageId: randomUUID(),
  correlationId: 'c-1',
  type,
  occurredAt: '2026-12-02T10:00:01.000Z',
  payload: { order },
});

describe('order events → deliveries', () => {
  it('sends the event as {id, type, occurredAt, data: {order}}, its id the envelope messageId', () => {
    const event = envelope();
    const delivery = eventToDeliver(event, order, 10_000);
    expect(delivery).toEqual({
      eventId: event.messageId,
      eventType: 'OrderConfirmed',
      occurredAt: event.occurredAt,
      correlationId: 'c-1',
      orderId: order.id,
      body: expect.any(String),
    });
    expect(WebhookEvent.parse(JSON.parse(delivery.body))).toEqual({
      id: event.messageId,
      type: 'OrderConfirmed',
      occurredAt: event.occurredAt,
      data: { order },
    });
  });

  it('refuses an event whose body is over WEBHOOK_MAX_PAYLOAD_BYTES (recorded, not sent)', () => {
    const size = Buffer.byteLength(eventToDeliver(envelope(), order, 1_000_000).body);
    expect(eventToDeliver(envelope(), order, size).refused).toBeUndefined();
    expect(eventToDeliver(envelope(), order, size - 1).refused).toBe(
      `the event is ${size} bytes, over WEBHOOK_MAX_PAYLOAD_BYTES (${size - 1})`,
    );
  });

  it('starts a new consumer group at the end of orders.events: no webhook wants the past', () => {
    const consumer = orderEventsConsumer({
      webhooks: { addDeliveries: async () => 0 },
      retryWindowMs: 1,
      maxPayloadBytes: 1,
      onDeliveries: () => undefined,
    });
    expect(consumer).toMatchObject({ groupId: 'notification-service', topics: ['orders.events'], fromBeginning: false });
  });

  it('routes every order event type in one batch, and wakes the sender only when deliveries were added', async () => {
    const added: EventToDeliver[][] = [];
    let rows = 0;
    const onDeliveries = jest.fn();
    const consumer = orderEventsConsumer({
      webhooks: {
        addDeliveries: async (events) => {
          added.push(events);
          return rows;
        },
      },
      retryWindowMs: 1_000,
      maxPayloadBytes: 100_000,
      onDeliveries,
    });
    expect(consumer.routes.map((route) => route.type)).toEqual([
      'OrderConfirmed',
      'OrderRejected',
      'OrderUpdated',
      'OrderCancelled',
      'OrderShipped',
      'OrderDelivered',
    ]);
    const [confirmed, shipped] = [envelope('OrderConfirmed'), envelope('OrderShipped')];
    await consumer.routes[0].batch?.handleMany([confirmed, shipped]);
    expect(added[0].map((e) => e.eventId)).toEqual([confirmed.messageId, shipped.messageId]);
    expect(onDeliveries).not.toHaveBeenCalled();
    rows = 2;
    await consumer.routes[0].batch?.handleMany([confirmed]);
    expect(onDeliveries).toHaveBeenCalledTimes(1);
    expect(consumer.routes[0].batch?.reject({ ...confirmed, payload: { order: { id: 'x' } } })).toMatch(/invalid OrderConfirmed payload/);
  });
});
