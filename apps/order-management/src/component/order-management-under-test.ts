import { randomUUID } from 'node:crypto';
import {
  Headers,
  Topics,
  type Customer,
  type Envelope,
  type OrderLineRequest,
  type RequestContract,
  type Reservation,
} from '@orderline/contracts';
import { isDatabaseUnavailable, isPermanentDataError, type PrismaClient } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import {
  MessageDispatcher,
  newEnvelope,
  type Delivery,
  type OutgoingMessage,
  type RawMessage,
  type RequestOptions,
  type Requester,
} from '@orderline/messaging';
import { testPrisma, validAddress } from '@orderline/testing';
import { OrderRepository } from '../db/order-repository';
import { orderCommandsConsumer } from '../messaging/order-commands-consumer';

/**
 * order-management's command handling as a component: the routing table of `orders.commands`
 * with the consumer's own dispatch, retries and dead letters (MessageDispatcher), the real
 * OrderRepository on the real Postgres, and in memory what lies beyond: customer-service and
 * inventory-service (over request/reply) and the broker (what is published). No Kafka: a spec
 * delivers envelopes as the consumer would and reads the answers, the dead letters and the rows.
 */

/** customer-service and inventory-service as order-management asks them. */
export class FakeServices {
  readonly customers = new Map<string, Customer>();
  /** unit price and stock per product */
  readonly stock = new Map<string, { unitPrice: string; available: number }>();
  /** what is reserved per order (kept when released, to show it was) */
  readonly reservations = new Map<string, { lines: { productId: string; quantity: number; unitPrice: string }[]; released: boolean }>();
  /** every request, in order */
  readonly requests: { type: string; payload: Record<string, unknown> }[] = [];
  private readonly failures: { type: string; error: Error }[] = [];

  /** The next request of `type` fails with `error` (a timeout, an overloaded requester, …). */
  failNext(type: string, error: Error): void {
    this.failures.push({ type, error });
  }

  addCustomer({ blocked = false } = {}): string {
    const id = `TC-${randomUUID().slice(0, 20)}`;
    this.customers.set(id, { id, name: 'Component customer', blocked });
    return id;
  }

  addProduct(available: number, unitPrice = '2.50'): string {
    const id = `TP-${randomUUID().slice(0, 20)}`;
    this.stock.set(id, { unitPrice, available });
    return id;
  }

  /** A reservation made for `orderId` before (a delivery that reserved, then never stored the order). */
  reserveBefore(orderId: string, items: OrderLineRequest[]): void {
    this.reserve([{ orderId, items }]);
  }

  requested(type: string): Record<string, unknown>[] {
    return this.requests.filter((r) => r.type === type).map((r) => r.payload);
  }

  readonly requester: Pick<Requester, 'request'> = {
    request: (async (contract: RequestContract, payload: unknown, _options: RequestOptions) => {
      const request = contract.request.parse(payload) as Record<string, unknown>;
      this.requests.push({ type: contract.type, payload: request });
      const failure = this.failures.findIndex((f) => f.type === contract.type);
      if (failure >= 0) throw this.failures.splice(failure, 1)[0].error;
      return contract.reply.parse(this.answer(contract.type, request));
    }) as Requester['request'],
  };

  private answer(type: string, request: Record<string, unknown>): unknown {
    switch (type) {
      case 'GetCustomers':
        return { customers: (request['customerIds'] as string[]).flatMap((id) => this.customers.get(id) ?? []) };
      case 'ReserveStock':
        return { results: this.reserve(request['orders'] as { orderId: string; items: OrderLineRequest[] }[]) };
      case 'ReleaseStock': {
        const held = this.reservations.get(request['orderId'] as string);
        if (!held || held.released) return { released: [] };
        held.released = true;
        for (const line of held.lines) (this.stock.get(line.productId) as { available: number }).available += line.quantity;
        return { released: held.lines.map(({ productId, quantity }) => ({ productId, quantity })) };
      }
      default:
        throw new Error(`the fake services do not answer ${type}`);
    }
  }

  /** inventory's promise: all or nothing per order, in the order given; a replay answered with what it holds */
  private reserve(orders: { orderId: string; items: OrderLineRequest[] }[]): Reservation[] {
    return orders.map(({ orderId, items }): Reservation => {
      const held = this.reservations.get(orderId);
      if (held) return { orderId, outcome: 'RESERVED', lines: held.lines };
      const unknown = items.filter((i) => !this.stock.has(i.productId)).map((i) => i.productId);
      if (unknown.length > 0) return { orderId, outcome: 'REJECTED', reason: 'UNKNOWN_PRODUCT', productIds: unknown };
      const short = items.filter((i) => (this.stock.get(i.productId)?.available ?? 0) < i.quantity).map((i) => i.productId);
      if (short.length > 0) return { orderId, outcome: 'REJECTED', reason: 'OUT_OF_STOCK', productIds: short };
      const lines = items.map(({ productId, quantity }) => {
        const product = this.stock.get(productId) as { unitPrice: string; available: number };
        product.available -= quantity;
        return { productId, quantity, unitPrice: product.unitPrice };
      });
      this.reservations.set(orderId, { lines, released: false });
      return { orderId, outcome: 'RESERVED', lines };
    });
  }
}

/** order-management's command handling on the real Postgres, everything else in memory (see above). */
export function orderManagementUnderTest({ maxOpenOrdersPerCustomer = 100 } = {}) {
  const prisma: PrismaClient = testPrisma();
  const orders = new OrderRepository(prisma);
  const services = new FakeServices();
  const replies: OutgoingMessage[] = [];
  const deadLetters: RawMessage[] = [];
  const publisher = {
    maxMessageBytes: 900 * 1024,
    publish: async (...messages: OutgoingMessage[]) => void replies.push(...messages),
    sendRaw: async (messages: RawMessage[]) => void deadLetters.push(...messages),
  };
  const logger = createLogger('component', 'error');
  const { routes } = orderCommandsConsumer({ publisher, requester: services.requester, orders, logger, maxOpenOrdersPerCustomer });
  // the consumer's dispatch with the service's plumbing (as startService's consume wires it), retries fast
  const dispatcher = new MessageDispatcher({
    routes,
    publisher,
    logger,
    isPermanent: isPermanentDataError,
    isTransient: isDatabaseUnavailable,
    retryDelayMs: 1,
    maxOutageMs: 500,
  });
  let offset = 0;

  return {
    prisma,
    orders,
    services,
    /** replies sent to requests (replyTo), in order */
    replies,
    deadLetters,

    /** Delivers `envelopes` as one poll of `orders.commands` hands them in: each on its partition, in order; resolves once all are handled or dead-lettered. */
    deliver(...envelopes: (Envelope | { envelope: Envelope; partition: number })[]): Promise<void> {
      return dispatcher.dispatch(
        envelopes.map((item): Delivery => {
          const { envelope, partition } = 'envelope' in item ? item : { envelope: item, partition: 0 };
          return {
            topic: Topics.orderCommands,
            partition,
            message: {
              key: Buffer.from(String((envelope.payload as { orderId?: string }).orderId ?? 'none')),
              value: Buffer.from(JSON.stringify(envelope)),
              headers: { [Headers.correlationId]: envelope.correlationId },
              offset: String(offset++),
            },
          };
        }),
      );
    },

    /** The reply to `request` (matched on inReplyTo), if one was sent. */
    replyTo(request: Envelope): Envelope | undefined {
      return replies.find((reply) => reply.envelope.inReplyTo === request.messageId)?.envelope;
    },

    /** The outbox rows written for `orderId` (events, and the releases naming it), oldest first. */
    async outbox(orderId: string): Promise<{ type: string; payload: Record<string, unknown> }[]> {
      const rows = await prisma.$queryRaw<{ type: string; payload: { payload: Record<string, unknown> } }[]>`
        SELECT type, payload FROM outbox_events
        WHERE aggregate_id = ${orderId}::uuid OR (type = 'ReleaseReservations' AND payload->'payload'->'orderIds' ? ${orderId})
        ORDER BY id`;
      return rows.map((row) => ({ type: row.type, payload: row.payload.payload }));
    },

    close: () => prisma.$disconnect(),
  };
}

/** A CreateOrder for `customerId` (data factory); `replyTo` makes it the keyed request an Idempotency-Key sends. */
export function createOrder(
  customerId: string,
  items: OrderLineRequest[],
  { orderId = randomUUID(), replyTo, requestHash }: { orderId?: string; replyTo?: string; requestHash?: string } = {},
): Envelope {
  const payload = {
    orderId,
    customerId,
    items,
    shippingAddress: validAddress,
    ...(requestHash ? { idempotencyKey: `key-${orderId}`, requestHash } : {}),
  };
  return newEnvelope('CreateOrder', payload, `component-${orderId}`, replyTo ? { replyTo } : {});
}

/** A request to order-management (GetOrder, UpdateOrder, CancelOrder) as the gateway sends it. */
export function requestOf(type: string, payload: Record<string, unknown>): Envelope {
  return newEnvelope(type, payload, `component-${type}-${randomUUID().slice(0, 8)}`, { replyTo: Topics.gatewayReplies });
}
