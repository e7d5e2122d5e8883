import { z } from 'zod';
import { Caller, CustomerId, Order, OrderId, OrderLineRequest, OrderStatus, OrderVersion, ShippingAddress, Tracking } from '../orders';
import { Topics } from '../topics';
import { defineMessage, defineRequest, type MessageContract } from './envelope';

const CreateOrderFields = z.object({
  orderId: OrderId,
  customerId: CustomerId,
  items: z.array(OrderLineRequest).min(1).max(100),
  shippingAddress: ShippingAddress,
});

/** Gateway → order-management, fire-and-forget: place this order (already validated, id chosen). */
export const CreateOrder = defineMessage({
  type: 'CreateOrder',
  topic: Topics.orderCommands,
  payload: CreateOrderFields.extend({
    /** set when the client sent an Idempotency-Key; the order id is derived from it */
    idempotencyKey: z.string().min(1).max(255).optional(),
    /** sha-256 of the canonical request: the same key with another request is refused */
    requestHash: z.string().length(64).optional(),
  }),
});
export type CreateOrderPayload = z.infer<typeof CreateOrder.payload>;

/**
 * The same command as a request (used with an Idempotency-Key): answered once the order is
 * stored, which it is only once decided (CONFIRMED or REJECTED; no PENDING row is written).
 * CONFLICT when the key was used for another request.
 */
export const CreateOrderRequest = defineRequest({
  type: 'CreateOrder',
  topic: Topics.orderCommands,
  request: CreateOrder.payload,
  reply: z.object({ orderId: OrderId, created: z.boolean() }),
});

/**
 * Gateway → order-management: read one order in command order. Sent on the order command topic
 * with the order id as key, so it is answered after every earlier command for that order: the
 * read before a change (PATCH), which is itself queued there. NOT_FOUND when absent or, for a
 * customer, not theirs. Plain reads use LookupOrder.
 */
export const GetOrder = defineRequest({
  type: 'GetOrder',
  topic: Topics.orderCommands,
  request: z.object({ orderId: OrderId, caller: Caller }),
  reply: z.object({ order: Order }),
});

/**
 * Gateway → order-management: read one order as stored, on the query topic, which a consumer
 * group of its own answers: never queued behind order creation. NOT_FOUND when not stored (yet)
 * or, for a customer, not theirs. (The gateway answers accepted, undecided orders itself.)
 */
export const LookupOrder = defineRequest({
  type: 'LookupOrder',
  topic: Topics.orderQueries,
  request: z.object({ orderId: OrderId, caller: Caller }),
  reply: z.object({ order: Order }),
});

/**
 * Gateway → order-management: change the shipping address, or (admin) ship / deliver. Applied only
 * while the order is at `expectedVersion` (the version the change was made against), so a late or
 * replayed update cannot undo a newer change: otherwise PRECONDITION_FAILED naming the current version.
 */
export const UpdateOrder = defineRequest({
  type: 'UpdateOrder',
  topic: Topics.orderCommands,
  request: z.object({
    orderId: OrderId,
    caller: Caller,
    expectedVersion: OrderVersion,
    shippingAddress: ShippingAddress.optional(),
    status: z.enum(['SHIPPED', 'DELIVERED']).optional(),
    tracking: Tracking.optional(),
  }),
  reply: z.object({ order: Order }),
});

/**
 * Gateway → order-management: cancel (never erase); idempotent on CANCELLED. With
 * `expectedVersion` (HTTP If-Match) only while the order is at that version, else PRECONDITION_FAILED.
 */
export const CancelOrder = defineRequest({
  type: 'CancelOrder',
  topic: Topics.orderCommands,
  request: z.object({ orderId: OrderId, caller: Caller, expectedVersion: OrderVersion.optional() }),
  reply: z.object({ order: Order }),
});

/** Gateway → order-management: one page of orders, newest first. Key: the customer id. */
export const ListOrders = defineRequest({
  type: 'ListOrders',
  topic: Topics.orderQueries,
  request: z.object({
    caller: Caller,
    customerId: CustomerId.optional(),
    status: OrderStatus.optional(),
    limit: z.int().min(1).max(100),
    cursor: z.string().max(200).optional(),
  }),
  reply: z.object({ items: z.array(Order), nextCursor: z.string().nullable() }),
});

/** Events order-management publishes on `orders.events` (key: order id), each with the order as it now is. */
export const OrderEventTypes = [
  'OrderConfirmed',
  'OrderRejected',
  'OrderUpdated',
  'OrderCancelled',
  'OrderShipped',
  'OrderDelivered',
] as const;
export type OrderEventType = (typeof OrderEventTypes)[number];

/** Every order event's payload: the order as it now is (as GET answers it). */
export const OrderEventPayload = z.object({ order: Order });

/** The contract of each order event (one payload schema, one version each). */
export const OrderEvents = Object.fromEntries(
  OrderEventTypes.map((type) => [type, defineMessage({ type, topic: Topics.orderEvents, payload: OrderEventPayload })]),
) as Record<OrderEventType, MessageContract<typeof OrderEventPayload>>;
