import { z } from 'zod';
import { OrderEventTypes } from '../messages/order-messages';
import { Order, Product } from '../orders';
import { Problem } from '../problem';
import { CreateOrderAccepted, CreateOrderBody, IdempotencyKey, ListOrdersQuery, OrderIdParam, UpdateOrderBody } from './orders-api';
import { ManagedProduct, StockMovement, StockMovementPage } from '../stock';
import {
  CreateProductBody,
  ListProductsQuery,
  ListStockMovementsQuery,
  ProductIdParam,
  StockAdjustmentBody,
  UpdateProductBody,
} from './products-api';
import { Webhook, WebhookCreated, WebhookDelivery, WebhookEvent } from '../webhooks';
import { CreateWebhookBody, ListWebhookDeliveriesQuery, WebhookDeliveryParams, WebhookIdParam } from './webhooks-api';

export interface ApiResponse {
  description: string;
  schema?: z.ZodType;
  /** a stream of server-sent events (`text/event-stream`) instead of one JSON body: its event types and what each `data:` holds */
  events?: { types: readonly string[]; data: z.ZodType };
  /** response headers worth documenting, by name */
  headers?: Record<string, { description: string; schema: z.ZodType }>;
}

/** One HTTP operation: the single source for the gateway's routing, validation and OpenAPI. */
export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI style: /api/v1/orders/{id} */
  path: string;
  summary: string;
  tag: 'orders' | 'products' | 'webhooks' | 'health' | 'docs';
  /** needs `Authorization: Bearer <JWT>` */
  auth: boolean;
  /** only tokens with this role (others: 403, before their input is looked at) */
  role?: 'admin';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** request headers the route reads (optional unless `required`), validated like params, query and body */
  headers?: { name: string; description: string; schema: z.ZodType<string, string>; required?: boolean }[];
  responses: Record<number, ApiResponse>;
}

const Health = z.object({ status: z.string() }).loose();
const OrderPage = z.object({ items: z.array(Order), nextCursor: z.string().nullable() });
const ProductPage = z.object({ items: z.array(Product), nextCursor: z.string().nullable() });

const problem = (description: string): ApiResponse => ({ description, schema: Problem });
const authProblems = {
  401: problem('missing, invalid or expired token'),
  503: problem('the message broker is unavailable'),
  504: problem('a service did not answer in time'),
};
const orderNotFound = { 404: problem('no such order, or not yours') };
const adminOnly = { 403: problem('admins only') };
const productNotFound = { 404: problem('no such product') };
const bodyProblems = { 413: problem('body over 64 KiB'), 415: problem('body not application/json') };

/** What an SSE stream of order changes sends (http/order-streams.ts in the gateway). */
const orderStream = (description: string): ApiResponse => ({
  description: `${description} Each event: \`id:\` an opaque position in the log of changes (send it back as Last-Event-ID to resume, on any gateway instance, without loss or repeats), \`event:\` its type, \`data:\` the order as GET /api/v1/orders/{id} returns it. A comment line (\`: heartbeat\`) every 15 s; a client that stops reading is cut off.`,
  events: { types: ['OrderState', ...OrderEventTypes], data: Order },
});
const lastEventId = {
  name: 'Last-Event-ID',
  description: 'the `id:` of the last event received: the stream resumes after it (sent by EventSource on a reconnect)',
  schema: z.string().max(1000),
};
const streamBounds = {
  429: problem('this customer holds as many streams on this instance as allowed (Retry-After)'),
  503: problem('this instance holds as many streams as allowed, or the message broker is unavailable (Retry-After)'),
};
const webhookNotFound = { 404: problem('no such webhook') };

/** An order's version as an entity tag: the ETag of GET and of every change's answer, what If-Match names. */
const etag = {
  ETag: {
    description: 'the order\'s version as a strong entity tag, e.g. "3"; it changes with every change of the order',
    schema: z.string(),
  },
};
const ifMatch = (withoutIt: string) => ({
  name: 'If-Match',
  description: `Applies the change only while the order is at one of the listed versions (ETags from GET; strong comparison, so a weak tag W/"3" matches nothing; "*": any version); otherwise 412 and nothing changes. ${withoutIt}`,
  schema: z.string(),
});
const preconditionFailed = { 412: problem('If-Match names a version the order is no longer at; nothing changed') };

/** Order requests (create, change, cancel) count against the customer's rate limit; every answer says what is left. */
const rateLimitHeaders = {
  'RateLimit-Policy': {
    description:
      'the per-customer limit on order requests (draft-ietf-httpapi-ratelimit-headers-11), e.g. "orders";q=200;w=2: 200 requests per 2 s, i.e. 100/s with bursts of 200',
    schema: z.string(),
  },
  RateLimit: { description: 'what is left now, e.g. "orders";r=57;t=1: 57 requests, all of the quota back within 1 s', schema: z.string() },
};
const tooManyRequests = {
  429: {
    description: 'over the per-customer limit on order requests; nothing was done: retry after Retry-After seconds',
    schema: Problem,
    headers: { ...rateLimitHeaders, 'Retry-After': { description: 'seconds to wait before the next order request', schema: z.string() } },
  },
};

const updateOrder = (method: 'patch' | 'put') =>
  ({
    method,
    path: '/api/v1/orders/{id}',
    summary:
      method === 'patch'
        ? 'Change the shipping address (owner, while PENDING/CONFIRMED) or ship/deliver (admin)'
        : 'Alias of PATCH (kept from the original design)',
    tag: 'orders',
    auth: true,
    params: OrderIdParam,
    body: UpdateOrderBody,
    headers: [
      ifMatch(
        'Without it the gateway applies the change to the version it reads first (and reads again, up to 3 times, when another change wins in between; then 409).',
      ),
    ],
    responses: {
      200: { description: 'the updated order', schema: Order, headers: { ...etag, ...rateLimitHeaders } },
      400: problem('invalid body or If-Match'),
      403: problem('a customer may not set the status'),
      ...orderNotFound,
      409: problem('not allowed in the current status, or the order kept changing meanwhile'),
      ...preconditionFailed,
      ...tooManyRequests,
      ...authProblems,
    },
  }) satisfies ApiRoute;

export const apiRoutes = {
  healthCheck: {
    method: 'get',
    path: '/api/v1/orders/health-check',
    summary: 'Liveness of the order API (kept from the original design)',
    tag: 'health',
    auth: false,
    responses: { 200: { description: 'up', schema: Health } },
  },
  live: {
    method: 'get',
    path: '/health/live',
    summary: 'The gateway process is up',
    tag: 'health',
    auth: false,
    responses: { 200: { description: 'up', schema: Health } },
  },
  ready: {
    method: 'get',
    path: '/health/ready',
    summary: 'The gateway can reach Kafka',
    tag: 'health',
    auth: false,
    responses: { 200: { description: 'ready', schema: Health }, 503: { description: 'Kafka unreachable', schema: Health } },
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this gateway instance (text exposition format)',
    tag: 'health',
    auth: false,
    responses: { 200: { description: 'Prometheus text format 0.0.4' } },
  },
  openApi: {
    method: 'get',
    path: '/api/openapi.json',
    summary: 'This document',
    tag: 'docs',
    auth: false,
    responses: { 200: { description: 'OpenAPI 3.1 document' } },
  },
  listProducts: {
    method: 'get',
    path: '/api/v1/products',
    summary: 'The catalog, one page at a time (ordered by id); inactive products only for admins',
    tag: 'products',
    auth: true,
    query: ListProductsQuery,
    responses: { 200: { description: 'a page of products', schema: ProductPage }, 400: problem('invalid query'), ...authProblems },
  },
  getProduct: {
    method: 'get',
    path: '/api/v1/products/{id}',
    summary: 'One product (an inactive one only for admins: 404 for customers)',
    tag: 'products',
    auth: true,
    params: ProductIdParam,
    responses: { 200: { description: 'the product', schema: Product }, 404: problem('no such product'), ...authProblems },
  },
  createProduct: {
    role: 'admin',
    method: 'post',
    path: '/api/v1/products',
    summary: 'Add a product to the catalog (admin); its stock is the first entry of its movement log',
    tag: 'products',
    auth: true,
    body: CreateProductBody,
    responses: {
      201: { description: 'created; Location: /api/v1/products/{id}', schema: ManagedProduct },
      400: problem('invalid body'),
      ...adminOnly,
      409: problem('a product with this id exists'),
      ...bodyProblems,
      ...authProblems,
    },
  },
  updateProduct: {
    role: 'admin',
    method: 'patch',
    path: '/api/v1/products/{id}',
    summary:
      'Change name, description, price, active or lowStockThreshold (admin). A new price applies to orders decided after it (confirmed orders keep theirs); an inactive product is refused in new orders (UNKNOWN_PRODUCT)',
    tag: 'products',
    auth: true,
    params: ProductIdParam,
    body: UpdateProductBody,
    responses: {
      200: { description: 'the product as changed', schema: ManagedProduct },
      400: problem('invalid body'),
      ...adminOnly,
      ...productNotFound,
      ...bodyProblems,
      ...authProblems,
    },
  },
  adjustStock: {
    role: 'admin',
    method: 'post',
    path: '/api/v1/products/{id}/stock-adjustments',
    summary: 'Receive goods (delta > 0) or write off (delta < 0) (admin); applied once per Idempotency-Key',
    tag: 'products',
    auth: true,
    params: ProductIdParam,
    body: StockAdjustmentBody,
    headers: [
      {
        name: 'Idempotency-Key',
        description:
          'required: the same key for the same product applies the adjustment once, however often it is sent (the answer is the movement it made)',
        schema: IdempotencyKey,
        required: true,
      },
    ],
    responses: {
      201: { description: 'the movement the adjustment made (the same one for a repeated key)', schema: StockMovement },
      400: problem('invalid body, or no Idempotency-Key'),
      ...adminOnly,
      ...productNotFound,
      409: problem('the stock would go below zero (the detail names the available quantity); nothing changed'),
      422: problem('the Idempotency-Key was used with a different adjustment of this product'),
      ...bodyProblems,
      ...authProblems,
    },
  },
  listStockMovements: {
    role: 'admin',
    method: 'get',
    path: '/api/v1/products/{id}/stock-movements',
    summary:
      "Every change of a product's stock with its cause (adjustment: who, reason, reference; reservation and release: the order), newest first, with the quantity after each (admin)",
    tag: 'products',
    auth: true,
    params: ProductIdParam,
    query: ListStockMovementsQuery,
    responses: {
      200: { description: 'a page of movements', schema: StockMovementPage },
      400: problem('invalid query or cursor'),
      ...adminOnly,
      ...productNotFound,
      ...authProblems,
    },
  },
  createOrder: {
    method: 'post',
    path: '/api/v1/orders',
    summary: 'Place an order; it is decided asynchronously (poll the Location)',
    tag: 'orders',
    auth: true,
    body: CreateOrderBody,
    headers: [
      {
        name: 'Idempotency-Key',
        description: 'the same key from the same customer returns the same order however often it is sent',
        schema: IdempotencyKey,
      },
    ],
    responses: {
      202: { description: 'accepted as PENDING; Location: /api/v1/orders/{id}', schema: CreateOrderAccepted, headers: rateLimitHeaders },
      400: problem('invalid body'),
      403: problem('a customer ordering for someone else'),
      413: problem('body over 64 KiB'),
      415: problem('body not application/json'),
      422: problem(
        'the Idempotency-Key was used with a different request, or a line asks for more units of one product than the shop allows (100 by default; errors name the line)',
      ),
      ...tooManyRequests,
      ...authProblems,
    },
  },
  listOrders: {
    method: 'get',
    path: '/api/v1/orders',
    summary: 'Orders, newest first: a customer sees their own, an admin all (filter by customerId)',
    tag: 'orders',
    auth: true,
    query: ListOrdersQuery,
    responses: {
      200: { description: 'a page of orders', schema: OrderPage },
      400: problem('invalid query or cursor'),
      403: problem("a customer asking for another customer's orders"),
      ...authProblems,
    },
  },
  // before getOrder: /api/v1/orders/events is not an order id
  streamOrders: {
    method: 'get',
    path: '/api/v1/orders/events',
    summary: "Server-sent events: every change of the caller's orders (an admin: all, or one customer's), until the client leaves",
    tag: 'orders',
    auth: true,
    query: z.strictObject({ customerId: ListOrdersQuery.shape.customerId }),
    headers: [lastEventId],
    responses: {
      200: orderStream('Starts with no event but a comment and an `id:` (the position it starts from), then every change as it happens.'),
      400: problem('invalid query or Last-Event-ID'),
      403: problem("a customer asking for another customer's orders"),
      410: problem('Last-Event-ID is older than this instance holds: read the orders again and connect without it'),
      ...authProblems,
      ...streamBounds,
    },
  },
  streamOrder: {
    method: 'get',
    path: '/api/v1/orders/{id}/events',
    summary: 'Server-sent events: the order at once (OrderState), then every change; ends after REJECTED, CANCELLED or DELIVERED',
    tag: 'orders',
    auth: true,
    params: OrderIdParam,
    headers: [lastEventId],
    responses: {
      200: orderStream(
        'OrderState first (also after a resume from a position older than the instance holds: then the current order, if newer than the last one received), then one event per change.',
      ),
      400: problem('invalid id or Last-Event-ID'),
      ...orderNotFound,
      ...authProblems,
      ...streamBounds,
    },
  },
  getOrder: {
    method: 'get',
    path: '/api/v1/orders/{id}',
    summary: 'One order (owner or admin)',
    tag: 'orders',
    auth: true,
    params: OrderIdParam,
    headers: [
      { name: 'If-None-Match', description: 'ETags the client holds: 304 without a body when one is current', schema: z.string() },
      {
        name: 'Prefer',
        description:
          'long-poll (RFC 7240): `wait=N` (seconds, at most 30) answers as soon as the order leaves PENDING (or changes), or after N seconds with the order as it is. Honoured when the answer carries Preference-Applied',
        schema: z.string().max(200),
      },
    ],
    responses: {
      200: {
        description: 'the order',
        schema: Order,
        headers: {
          ...etag,
          'Preference-Applied': { description: 'wait=N: the wait that was honoured (N ≤ 30)', schema: z.string() },
          Vary: { description: 'Prefer', schema: z.string() },
        },
      },
      304: { description: 'the order is still at a version If-None-Match names', headers: etag },
      400: problem('invalid id'),
      ...orderNotFound,
      ...authProblems,
    },
  },
  updateOrder: updateOrder('patch'),
  replaceOrder: updateOrder('put'),
  cancelOrder: {
    method: 'delete',
    path: '/api/v1/orders/{id}',
    summary: 'Cancel (never erase): stock is released; repeating it is harmless',
    tag: 'orders',
    auth: true,
    params: OrderIdParam,
    headers: [ifMatch('Without it any version is cancelled (cancelling is one-way and repeating it is harmless).')],
    responses: {
      200: { description: 'the order, CANCELLED', schema: Order, headers: { ...etag, ...rateLimitHeaders } },
      400: problem('invalid id or If-Match'),
      ...orderNotFound,
      409: problem('already SHIPPED, DELIVERED or REJECTED'),
      ...preconditionFailed,
      ...tooManyRequests,
      ...authProblems,
    },
  },
  createWebhook: {
    method: 'post',
    path: '/api/v1/webhooks',
    summary: 'Register a webhook (admin): every matching order event is POSTed to the URL, signed with the secret this answer shows once',
    tag: 'webhooks',
    auth: true,
    role: 'admin',
    body: CreateWebhookBody,
    responses: {
      201: { description: 'registered; `secret` is shown only here', schema: WebhookCreated },
      400: problem(
        'invalid body, or a URL notification-service will not send to (in production: not https, or its host resolves to a private, loopback or link-local address)',
      ),
      ...adminOnly,
      409: problem('the most webhooks are registered already'),
      413: problem('body over 64 KiB'),
      415: problem('body not application/json'),
      ...authProblems,
    },
  },
  listWebhooks: {
    method: 'get',
    path: '/api/v1/webhooks',
    summary: 'Every registered webhook (admin), without secrets',
    tag: 'webhooks',
    auth: true,
    role: 'admin',
    responses: { 200: { description: 'the webhooks', schema: z.object({ items: z.array(Webhook) }) }, ...adminOnly, ...authProblems },
  },
  deleteWebhook: {
    method: 'delete',
    path: '/api/v1/webhooks/{id}',
    summary: 'Remove a webhook (admin) and its deliveries; nothing more is sent to it',
    tag: 'webhooks',
    auth: true,
    role: 'admin',
    params: WebhookIdParam,
    responses: { 204: { description: 'removed' }, 400: problem('invalid id'), ...adminOnly, ...webhookNotFound, ...authProblems },
  },
  listWebhookDeliveries: {
    method: 'get',
    path: '/api/v1/webhooks/{id}/deliveries',
    summary: "The webhook's latest deliveries, newest first, each with its latest attempt's status code and error (admin)",
    tag: 'webhooks',
    auth: true,
    role: 'admin',
    params: WebhookIdParam,
    query: ListWebhookDeliveriesQuery,
    responses: {
      200: { description: 'the deliveries', schema: z.object({ items: z.array(WebhookDelivery) }) },
      400: problem('invalid id or query'),
      ...adminOnly,
      ...webhookNotFound,
      ...authProblems,
    },
  },
  retryWebhookDelivery: {
    method: 'post',
    path: '/api/v1/webhooks/{id}/deliveries/{deliveryId}/retry',
    summary: 'Send a delivery again now, with a fresh retry window; enables the webhook again if it was disabled (admin)',
    tag: 'webhooks',
    auth: true,
    role: 'admin',
    params: WebhookDeliveryParams,
    responses: {
      202: { description: 'queued: the delivery, PENDING', schema: z.object({ delivery: WebhookDelivery }) },
      400: problem('invalid id'),
      ...adminOnly,
      404: problem('no such webhook or delivery'),
      ...authProblems,
    },
  },
} satisfies Record<string, ApiRoute>;

/**
 * What notification-service POSTs to a webhook's URL (OpenAPI `webhooks`): one per order event type.
 * Headers: Orderline-Event-Id, Orderline-Event-Type, Orderline-Signature `t=<unix seconds>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<raw body>")>`. Answer 2xx within the timeout; anything else is retried.
 */
export const webhookEvents = {
  schema: WebhookEvent,
  description:
    'POSTed to every active webhook registered for the event type: at least once (drop repeats by `id`, also sent as Orderline-Event-Id), in order per order. Verify Orderline-Signature `t=<unix seconds>,v1=<hex>`: compute HMAC-SHA256 with the secret over `<t>.<raw body>`, compare with v1 in constant time, and refuse a t more than 5 minutes old. Answer 2xx within the timeout; other answers, timeouts and errors are retried with exponential backoff for up to 24 h, after which the webhook is disabled.',
} as const;

export type OperationId = keyof typeof apiRoutes;
