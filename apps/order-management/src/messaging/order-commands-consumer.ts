import type { Kafka } from '@orderline/messaging';
import {
  CancelOrder,
  ConsumerGroups,
  CreateOrder,
  GetCustomers,
  type CreateOrderPayload,
  type Envelope,
  GetOrder,
  ReleaseStock,
  MAX_ORDERS_PER_REQUEST,
  ReserveStock,
  Topics,
  UpdateOrder,
  chunkByBytes,
  payloadBudget,
} from '@orderline/contracts';
import { isDatabaseUnavailable, isPermanentDataError } from '@orderline/db';
import { addToLogContext, withLogContext, type Logger } from '@orderline/logging';
import { onMessage, onMessages, onRequest, sendReply, startConsumer, type Publisher, type Requester } from '@orderline/messaging';
import type { OrderRepository } from '../db/order-repository';
import { cancelOrder } from '../domain/cancel-order';
import { findOrder } from '../domain/find-order';
import { placeOrders } from '../domain/place-orders';
import { updateOrder } from '../domain/update-order';
import { answering } from './answering';
import { recordCancellation, recordDecision } from './order-metrics';
import { reservationChunks } from './reservation-chunks';

/**
 * Consumes `orders.commands` (keyed by order id, so one order's commands are handled in the order
 * they were sent). CreateOrder commands are placed in batches gathered across partitions: one
 * customer look-up, one stock reservation and one transaction per batch. (Reads have a consumer
 * of their own: order-queries-consumer.ts.)
 */
export function startOrderCommandsConsumer(deps: {
  kafka: Kafka;
  publisher: Publisher;
  requester: Requester;
  orders: OrderRepository;
  logger: Logger;
  /** how long a message waits out a dependency outage before it is dead-lettered */
  maxOutageMs?: number;
  /** open orders a customer may have (MAX_OPEN_ORDERS_PER_CUSTOMER) */
  maxOpenOrdersPerCustomer: number;
}) {
  const { publisher, requester, orders, logger } = deps;
  const releaseStock = (orderId: string, correlationId: string) =>
    requester.request(ReleaseStock, { orderId }, { key: orderId, correlationId });

  /**
   * Places a batch of CreateOrder commands (see placeOrders) and answers those sent with an
   * Idempotency-Key: stored (or already there), or CONFLICT for a reused key.
   */
  const createOrders = async (items: { command: CreateOrderPayload; envelope: Envelope }[]) => {
    const batchCorrelation = items.length === 1 ? items[0].envelope.correlationId : `batch-${items[0].envelope.messageId}`;
    const requests = items.map(({ command, envelope }) => ({ command, correlationId: envelope.correlationId }));
    const timings: Record<string, number> = {};
    const timed =
      <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const started = performance.now();
        try {
          return await fn(...args);
        } finally {
          timings[name] = Math.round(performance.now() - started);
        }
      };
    const acceptedAt = new Map(items.map(({ command, envelope }) => [command.orderId, envelope.occurredAt]));
    const started = performance.now();
    const results = await placeOrders(requests, {
      findExisting: timed('findExisting', (ids) => orders.findExisting(ids)),
      countOpenOrders: timed('countOpenOrders', (customerIds, orderIds) =>
        orders.countOpenOrders(customerIds, orderIds, deps.maxOpenOrdersPerCustomer),
      ),
      maxOpenOrdersPerCustomer: deps.maxOpenOrdersPerCustomer,
      findCustomers: timed('findCustomers', async (customerIds) => {
        // one look-up per batch; ids are short, but a request (and its reply) stays within a message whatever they hold
        const chunks = chunkByBytes(customerIds, Math.floor(payloadBudget(publisher.maxMessageBytes) / 4));
        const replies = await Promise.all(
          chunks.map((ids) => requester.request(GetCustomers, { customerIds: ids }, { key: ids[0], correlationId: batchCorrelation })),
        );
        return replies.flatMap((reply) => reply.customers);
      }),
      reserveStock: timed('reserveStock', async (toReserve) => {
        const results = [];
        for (const chunk of reservationChunks(toReserve, publisher.maxMessageBytes)) {
          const reply = await requester.request(ReserveStock, { orders: chunk }, { key: chunk[0].orderId, correlationId: batchCorrelation });
          results.push(...reply.results);
        }
        return results;
      }),
      releaseIfRejected: (ids) => orders.releaseIfRejected(ids, batchCorrelation),
      insertDecided: timed('insertDecided', async (decided, release) => {
        const inserted = await orders.insertDecided(decided, release);
        for (const order of decided) {
          if (!inserted.has(order.command.orderId)) continue; // decided before: counted then
          recordDecision(order.status, 'reason' in order ? order.reason : undefined, acceptedAt.get(order.command.orderId) as string);
        }
        return inserted;
      }),
    });
    logger.info('orders placed', { count: items.length, ms: Math.round(performance.now() - started), steps: timings });
    await Promise.all(
      items.map(({ command, envelope }, i) =>
        withLogContext({ correlationId: envelope.correlationId, orderId: command.orderId }, async () => {
          const result = results[i];
          // one line per order only at debug: at thousands of orders a second it is the batch line that counts
          if (result.created) logger.debug('order decided', { outcome: result.outcome });
          if (!envelope.replyTo) return;
          await sendReply(
            publisher,
            envelope,
            result.outcome === 'CONFLICT'
              ? { ok: false, error: { code: 'CONFLICT', message: 'this Idempotency-Key was used with a different request' } }
              : { ok: true, result: { orderId: command.orderId, created: result.created } },
          );
        }),
      ),
    );
  };

  return startConsumer({
    kafka: deps.kafka,
    groupId: ConsumerGroups.orderManagement,
    topics: [Topics.orderCommands],
    publisher,
    logger,
    isPermanent: isPermanentDataError,
    isTransient: isDatabaseUnavailable,
    maxOutageMs: deps.maxOutageMs,
    // every accepted order ends final: one that cannot be decided is stored REJECTED / PROCESSING_FAILED
    onDeadLetter: async (envelope) => {
      if (envelope.type !== CreateOrder.type) return false;
      const parsed = CreateOrder.payload.safeParse(envelope.payload);
      if (!parsed.success) return false; // never valid: there is no order to record
      const { orderId } = parsed.data;
      const inserted = await orders.insertFailed([{ command: parsed.data, correlationId: envelope.correlationId }]);
      if (inserted.size > 0) recordDecision('REJECTED', 'PROCESSING_FAILED', envelope.occurredAt);
      logger.warn('order could not be decided: stored as REJECTED / PROCESSING_FAILED', { orderId });
      // sent with an Idempotency-Key: the order exists (decided, readable), so the client gets its 202
      await sendReply(publisher, envelope, { ok: true, result: { orderId, created: inserted.size > 0 } });
      return true;
    },
    // as many CreateOrders at once as one ReserveStock may carry: under load batches fill up, and
    // each costs the same few round trips whatever its size (measured: 1,000 kept up with ~3,900
    // orders/s where 500 fell behind)
    maxBatchMessages: MAX_ORDERS_PER_REQUEST,
    batchRoutes: [
      onMessages(CreateOrder, (items) => createOrders(items.map(({ payload, envelope }) => ({ command: payload, envelope })))),
    ],
    routes: [
      onMessage(CreateOrder, (command, envelope) => createOrders([{ command, envelope }])),
      onRequest(GetOrder, publisher, ({ orderId, caller }) => answering(async () => ({ order: await findOrder(orderId, caller, orders) }))),
      onRequest(UpdateOrder, publisher, (command, envelope) =>
        answering(async () => {
          addToLogContext({ orderId: command.orderId });
          const order = await updateOrder(command, envelope.correlationId, orders);
          logger.info('order updated', { status: order.status });
          return { order };
        }),
      ),
      onRequest(CancelOrder, publisher, (command, envelope) =>
        answering(async () => {
          addToLogContext({ orderId: command.orderId });
          const order = await cancelOrder(command, envelope.correlationId, {
            orders,
            releaseStock: (orderId) => releaseStock(orderId, envelope.correlationId),
            onCancelled: recordCancellation,
          });
          logger.info('order cancelled');
          return { order };
        }),
      ),
    ],
  });
}
