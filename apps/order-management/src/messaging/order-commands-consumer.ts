import type { Kafka } from 'kafkajs';
import {
  CancelOrder,
  ConsumerGroups,
  CreateOrder,
  GetCustomer,
  GetOrder,
  ListOrders,
  ReleaseStock,
  ReserveStock,
  Topics,
  UpdateOrder,
} from '@orderline/contracts';
import { addToLogContext, type Logger } from '@orderline/logging';
import { ReplyError, onMessage, onRequest, sendReply, startConsumer, type Publisher, type Requester } from '@orderline/messaging';
import type { OrderRepository } from '../db/order-repository';
import { cancelOrder } from '../domain/cancel-order';
import { InvalidCursor, listOrders } from '../domain/list-orders';
import { OrderRuleViolation, isVisibleTo } from '../domain/order-state-machine';
import { decideOrder } from '../domain/place-order';
import { OrderNotFound, updateOrder } from '../domain/update-order';

/** Domain refusals become error replies (→ 404/403/409/400 at the gateway); anything else is retried. */
async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof OrderNotFound) throw new ReplyError('NOT_FOUND', error.message);
    if (error instanceof OrderRuleViolation) throw new ReplyError(error.kind, error.message);
    if (error instanceof InvalidCursor) throw new ReplyError('BAD_REQUEST', error.message);
    throw error;
  }
}

/**
 * Consumes `orders.commands` (keyed by order id, so one order's commands and reads are handled in
 * the order they were sent) and `orders.queries` (lists).
 */
export function startOrderCommandsConsumer(deps: {
  kafka: Kafka;
  publisher: Publisher;
  requester: Requester;
  orders: OrderRepository;
  logger: Logger;
}) {
  const { publisher, requester, orders, logger } = deps;
  const releaseStock = (orderId: string, correlationId: string) =>
    requester.request(ReleaseStock, { orderId }, { key: orderId, correlationId });

  return startConsumer({
    kafka: deps.kafka,
    groupId: ConsumerGroups.orderManagement,
    topics: [Topics.orderCommands, Topics.orderQueries],
    publisher,
    logger,
    routes: [
      onMessage(CreateOrder, async (command, envelope) => {
        addToLogContext({ orderId: command.orderId });
        const { correlationId } = envelope;
        const stored = await orders.insertPending(command);
        // With an Idempotency-Key the gateway waits for this answer: stored (or already there).
        if (envelope.replyTo) {
          if (!stored.created && stored.requestHash !== (command.requestHash ?? null)) {
            await sendReply(publisher, envelope, {
              ok: false,
              error: { code: 'CONFLICT', message: 'this Idempotency-Key was used with a different request' },
            });
            return;
          }
          await sendReply(publisher, envelope, { ok: true, result: { orderId: command.orderId, created: stored.created } });
        }
        if (stored.status !== 'PENDING') return;
        const outcome = await decideOrder(command, correlationId, {
          orders,
          findCustomer: async (customerId) =>
            (await requester.request(GetCustomer, { customerId }, { key: customerId, correlationId })).customer,
          reserveStock: (orderId, items) => requester.request(ReserveStock, { orderId, items }, { key: orderId, correlationId }),
          releaseStock: (orderId) => releaseStock(orderId, correlationId),
        });
        logger.info('order decided', { outcome });
      }),
      onRequest(GetOrder, publisher, ({ orderId, caller }) =>
        answering(async () => {
          const order = await orders.findById(orderId);
          if (!order || !isVisibleTo(order, caller)) throw new OrderNotFound(`no order ${orderId}`);
          return { order };
        }),
      ),
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
          });
          logger.info('order cancelled');
          return { order };
        }),
      ),
      onRequest(ListOrders, publisher, (query) => answering(() => listOrders(query, orders))),
    ],
  });
}
