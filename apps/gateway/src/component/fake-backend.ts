import { randomUUID } from 'node:crypto';
import {
  Headers,
  Topics,
  customerOfList,
  type OrderEventType,
  isVisibleTo,
  type Caller,
  type CreateOrderPayload,
  type ManagedProduct,
  type Order,
  type Product,
  type RequestContract,
  type StockMovement,
  type Webhook,
} from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { ReplyFailedError, type OutgoingMessage, type Publisher, type RequestOptions, type Requester } from '@orderline/messaging';
import { signToken, validAddress } from '@orderline/testing';
import { createApp, type GatewayDeps } from '../http/app';
import type { AcceptedOrdersView, RecentOrdersView } from '../http/orders-handlers';
import { OrderChanges } from '../messaging/order-changes';

/**
 * Everything behind the gateway's HTTP app, in memory, for component specs: the broker (what the
 * gateway publishes), order-management and inventory-service as the gateway sees them over
 * request/reply, and the gateway's own view of accepted orders. The fake keeps to the contracts
 * (requests and replies are parsed with their schemas) and to what every reply promises (who sees
 * which order, versions); any other answer a spec needs it scripts with `failNext`.
 */
export class FakeBackend {
  /** orders as order-management has them stored */
  readonly stored = new Map<string, Order>();
  /** the gateway's view: accepted orders it answers PENDING itself */
  readonly accepted = new Map<string, Order>();
  readonly products = new Map<string, Product>();
  /** every product's stock log, oldest first, as inventory-service keeps it */
  readonly movements: StockMovement[] = [];
  /** webhooks as notification-service has them */
  readonly webhooks = new Map<string, Webhook>();
  /** every request the gateway sent, in order */
  readonly requests: { type: string; payload: Record<string, unknown>; key: string; correlationId: string }[] = [];
  /** every command the gateway published, in order */
  readonly published: OutgoingMessage[] = [];
  /** how far behind the decisions are (admission control) */
  expectedWaitMs = 0;
  /** whether Kafka answers (readiness) */
  kafkaUp = true;
  /** changes that win a race: each bumps the order's version just before the next UpdateOrder / CancelOrder is applied */
  racingChanges = 0;
  /** what happens while the gateway catches up with the log (e.g. an order another instance accepted shows up) */
  onCatchUp: () => void = () => undefined;
  catchUps = 0;
  private readonly failures: { type: string; error: Error }[] = [];
  /** the next offset per partition of the fake orders.events */
  private readonly eventOffsets = [0, 0, 0];
  /** every change of every order, fed by `decide` as the follower feeds the real one (3 partitions, from offset 0) */
  readonly changes = new OrderChanges({
    startOffsets: () => new Map(this.eventOffsets.map((_, partition) => [partition, 0])),
    maxEvents: 1_000,
    maxBytes: 1_048_576,
  });

  /**
   * order-management decides or changes an order: it is stored, and its event goes to orders.events
   * (on `partition`, as order-management's outbox writes it) and from there to the gateway's changes.
   */
  emit(type: OrderEventType, order: Order, partition = 0): Order {
    this.accepted.delete(order.id);
    this.store(order);
    const envelope = { messageId: randomUUID(), correlationId: 'test', type, occurredAt: new Date().toISOString(), payload: { order } };
    const offset = this.eventOffsets[partition]++;
    this.changes.follow([
      {
        topic: Topics.orderEvents,
        partition,
        offset,
        key: order.id,
        value: Buffer.from(JSON.stringify(envelope)),
        timestamp: Date.now(),
        headers: { [Headers.messageType]: type },
      },
    ]);
    return order;
  }

  /** The next request of `type` (or the next publish, with type `publish`) fails with `error`. */
  failNext(type: string, error: Error): void {
    this.failures.push({ type, error });
  }

  store(order: Order): Order {
    this.stored.set(order.id, order);
    return order;
  }

  sent(): string[] {
    return this.requests.map((r) => r.type);
  }

  readonly publisher: Pick<Publisher, 'publish'> = {
    publish: async (...messages) => {
      this.throwScripted('publish');
      this.published.push(...messages);
    },
  };

  readonly requester: Pick<Requester, 'request'> = {
    request: (async (contract: RequestContract, payload: unknown, options: RequestOptions) => {
      const request = contract.request.parse(payload) as Record<string, unknown>;
      this.requests.push({ type: contract.type, payload: request, key: options.key, correlationId: options.correlationId });
      this.throwScripted(contract.type);
      return contract.reply.parse(this.answer(contract.type, request));
    }) as Requester['request'],
  };

  readonly acceptedOrders: AcceptedOrdersView = {
    accepted: (command: CreateOrderPayload) => void this.accepted.set(command.orderId, pendingOrder(command)),
    find: (orderId) => this.accepted.get(orderId),
    caughtUp: async () => {
      this.catchUps++;
      this.onCatchUp();
      return true;
    },
    expectedWaitMs: () => this.expectedWaitMs,
  };

  /** orders as this gateway's view of orders.events has them (a test puts them here to stand for the events followed) */
  readonly recent = new Map<string, Order>();
  readonly recentOrders: RecentOrdersView = {
    find: (orderId) => this.recent.get(orderId),
    changed: (order) => void this.recent.set(order.id, order),
  };

  readonly readiness: GatewayDeps['readiness'] = async () => ({ ready: this.kafkaUp, checks: { kafka: this.kafkaUp ? 'up' : 'down' } });

  private readonly adjustments = new Map<string, StockMovement>();

  /** A change of a product's stock: applied, and logged with the quantity after it. */
  private log(productId: string, change: Partial<StockMovement> & Pick<StockMovement, 'kind' | 'delta'>): StockMovement {
    const product = this.products.get(productId) as Product;
    const quantityAfter = change.kind === 'CREATED' ? change.delta : product.availableQuantity + change.delta;
    this.products.set(productId, { ...product, availableQuantity: quantityAfter });
    const movement: StockMovement = {
      id: String(this.movements.length + 1),
      productId,
      reason: null,
      actor: null,
      reference: null,
      orderId: null,
      createdAt: new Date().toISOString(),
      ...change,
      quantityAfter,
    };
    this.movements.push(movement);
    return movement;
  }

  private throwScripted(type: string): void {
    const index = this.failures.findIndex((f) => f.type === type);
    if (index >= 0) throw this.failures.splice(index, 1)[0].error;
  }

  /** order-management's and inventory-service's answers, as far as every reply promises them */
  private answer(type: string, request: Record<string, unknown>): unknown {
    const caller = request['caller'] as Caller;
    const visible = (orderId: string) => {
      const order = this.stored.get(orderId);
      if (!order || !isVisibleTo(order, caller)) throw new ReplyFailedError('NOT_FOUND', `no order ${orderId}`);
      return order;
    };
    const change = (orderId: string, expectedVersion: unknown, apply: (order: Order) => Partial<Order>) => {
      let order = visible(orderId);
      if (this.racingChanges > 0) {
        this.racingChanges--;
        order = this.store({ ...order, version: order.version + 1 });
      }
      if (expectedVersion !== undefined && expectedVersion !== order.version) {
        throw new ReplyFailedError('PRECONDITION_FAILED', `the order is at version ${order.version}, not ${String(expectedVersion)}`);
      }
      return { order: this.store({ ...order, ...apply(order), version: order.version + 1 }) };
    };
    switch (type) {
      case 'GetOrder':
      case 'LookupOrder':
        return { order: visible(request['orderId'] as string) };
      case 'UpdateOrder': {
        const { shippingAddress, status, tracking } = request as Partial<Order> & { tracking?: object };
        return change(request['orderId'] as string, request['expectedVersion'], () => ({
          ...(shippingAddress ? { shippingAddress } : {}),
          ...(status ? { status } : {}),
          ...tracking,
        }));
      }
      case 'CancelOrder':
        return change(request['orderId'] as string, request['expectedVersion'], () => ({ status: 'CANCELLED' }));
      case 'ListOrders': {
        const whose = customerOfList(caller, request['customerId'] as string | undefined);
        if ('refused' in whose) throw new ReplyFailedError('FORBIDDEN', whose.refused);
        const items = [...this.stored.values()].filter(
          (o) => (whose.granted === undefined || o.customerId === whose.granted) && (!request['status'] || o.status === request['status']),
        );
        return { items: items.slice(0, request['limit'] as number), nextCursor: null };
      }
      case 'CreateOrder': {
        // sent with an Idempotency-Key: answered once stored; the same key with another request is a CONFLICT
        const command = request as CreateOrderPayload;
        const known = this.requests.find((r) => r.type === 'CreateOrder' && r.payload['orderId'] === command.orderId);
        if (known && known.payload['requestHash'] !== command.requestHash) {
          throw new ReplyFailedError('CONFLICT', 'this Idempotency-Key was used with a different request');
        }
        const created = known?.payload === request;
        return { orderId: command.orderId, created };
      }
      case 'ListProducts':
        return {
          items: [...this.products.values()].filter((p) => p.active || request['includeInactive']).slice(0, request['limit'] as number),
          nextCursor: null,
        };
      case 'GetProduct': {
        const product = this.products.get(request['productId'] as string);
        return { product: product && (product.active || request['includeInactive']) ? product : null };
      }
      case 'CreateProduct': {
        const product = { active: true, ...(request['product'] as Omit<Product, 'active'>) };
        if (this.products.has(product.id)) throw new ReplyFailedError('CONFLICT', `a product ${product.id} exists`);
        this.products.set(product.id, product);
        this.log(product.id, { kind: 'CREATED', delta: product.availableQuantity, actor: request['actor'] as string });
        return { product: managed(product) };
      }
      case 'UpdateProduct': {
        const product = this.products.get(request['productId'] as string);
        if (!product) throw new ReplyFailedError('NOT_FOUND', `no product ${String(request['productId'])}`);
        const { lowStockThreshold: _threshold, ...changes } = request['changes'] as Partial<ManagedProduct>;
        this.products.set(product.id, { ...product, ...changes });
        return { product: managed(this.products.get(product.id) as Product) };
      }
      case 'AdjustStock': {
        const product = this.products.get(request['productId'] as string);
        if (!product) throw new ReplyFailedError('NOT_FOUND', `no product ${String(request['productId'])}`);
        const key = `${product.id} ${String(request['idempotencyKey'])}`;
        const before = this.adjustments.get(key);
        if (before) return before.delta === request['delta'] ? { outcome: 'APPLIED', movement: before } : { outcome: 'KEY_REUSED' };
        const delta = request['delta'] as number;
        if (product.availableQuantity + delta < 0) return { outcome: 'INSUFFICIENT_STOCK', availableQuantity: product.availableQuantity };
        const movement = this.log(product.id, {
          kind: 'ADJUSTMENT',
          delta,
          reason: request['reason'] as StockMovement['reason'],
          actor: request['actor'] as string,
          reference: (request['reference'] as string | undefined) ?? null,
        });
        this.adjustments.set(key, movement);
        return { outcome: 'APPLIED', movement };
      }
      case 'ListStockMovements': {
        if (!this.products.has(request['productId'] as string)) throw new ReplyFailedError('NOT_FOUND', 'no such product');
        const newestFirst = this.movements.filter((m) => m.productId === request['productId']).reverse();
        return { items: newestFirst.slice(0, request['limit'] as number), nextCursor: null };
      }
      // notification-service: the webhook admin API
      case 'CreateWebhook': {
        if (String(request['url']).includes('refused')) throw new ReplyFailedError('BAD_REQUEST', 'the URL must be https');
        const webhook = {
          id: crypto.randomUUID(),
          url: request['url'] as string,
          events: request['events'] as Webhook['events'],
          createdAt: new Date().toISOString(),
          disabledAt: null,
          disabledReason: null,
        };
        this.webhooks.set(webhook.id, webhook);
        return { webhook: { ...webhook, secret: 'whsec_fake' } };
      }
      case 'ListWebhooks':
        return { items: [...this.webhooks.values()] };
      case 'DeleteWebhook':
      case 'ListWebhookDeliveries':
      case 'RetryWebhookDelivery': {
        const webhookId = request['webhookId'] as string;
        if (!this.webhooks.has(webhookId)) throw new ReplyFailedError('NOT_FOUND', `no webhook ${webhookId}`);
        if (type === 'DeleteWebhook') return { deleted: this.webhooks.delete(webhookId) };
        if (type === 'ListWebhookDeliveries') return { items: [] };
        throw new ReplyFailedError('NOT_FOUND', `webhook ${webhookId} has no delivery ${String(request['deliveryId'])}`);
      }
      default:
        throw new Error(`the fake backend does not answer ${type}`);
    }
  }
}

/** A product as admins see it (the fake has no thresholds of its own: the default). */
const managed = (product: Product): ManagedProduct => ({ ...product, lowStockThreshold: 10 });

/** The JWT secret of gateways under test. */
export const TEST_JWT_SECRET = 'test-secret-0123456789';

/** `Authorization: Bearer …` for a caller of gateways under test. */
export function bearer(customerId: string, role: 'customer' | 'admin' = 'customer'): { authorization: string } {
  return { authorization: `Bearer ${signToken({ sub: customerId, role }, { secret: TEST_JWT_SECRET })}` };
}

/** A stored order (data factory): CONFIRMED, version 1, of CUST01, unless `overrides` say otherwise. */
export function buildOrder(overrides: Partial<Order> = {}): Order {
  return {
    id: '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f',
    customerId: 'CUST01',
    status: 'CONFIRMED',
    items: [{ productId: 'PROD-0001', quantity: 1, unitPrice: '1.00' }],
    totalAmount: '1.00',
    shippingAddress: validAddress,
    trackingCompany: null,
    trackingNumber: null,
    rejectionReason: null,
    createdAt: '2026-12-02T10:00:00.000Z',
    updatedAt: '2026-12-02T10:00:00.000Z',
    version: 1,
    ...overrides,
  };
}

/** An accepted, undecided order as the gateway's view has it (what the real view builds from the command). */
export function pendingOrder(command: Pick<CreateOrderPayload, 'orderId' | 'customerId' | 'items' | 'shippingAddress'>): Order {
  return buildOrder({
    id: command.orderId,
    customerId: command.customerId,
    status: 'PENDING',
    items: command.items.map((item) => ({ ...item, unitPrice: null })),
    totalAmount: null,
    shippingAddress: command.shippingAddress,
    version: 0,
  });
}

/** The gateway's HTTP app with a FakeBackend behind it; `deps` override any of its dependencies (limits, clock, …). */
export function gatewayUnderTest(deps: Partial<GatewayDeps> | ((backend: FakeBackend) => Partial<GatewayDeps>) = {}) {
  const backend = new FakeBackend();
  const app = createApp({
    publisher: backend.publisher,
    requester: backend.requester,
    readiness: backend.readiness,
    jwtSecrets: [TEST_JWT_SECRET],
    acceptedOrders: backend.acceptedOrders,
    recentOrders: backend.recentOrders,
    orderChanges: backend.changes,
    maxDecisionLagMs: 5_000,
    logger: createLogger('test', 'error'),
    ...(typeof deps === 'function' ? deps(backend) : deps),
  });
  return { app, backend };
}
