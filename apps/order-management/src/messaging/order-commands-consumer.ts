import { CancelOrder, ConsumerGroups, CreateOrder, GetOrder, MAX_ORDERS_PER_REQUEST, Topics, UpdateOrder } from '@orderline/contracts';
import { addToLogContext } from '@orderline/logging';
import { onMessages, onRequest, type ConsumerDefinition } from '@orderline/messaging';
import type { OrderRepository } from '../db/order-repository';
import { cancelOrder } from '../domain/cancel-order';
import { findOrder } from '../domain/find-order';
import { updateOrder } from '../domain/update-order';
import { answering } from './answering';
import { createOrderCommands, type CreateOrderCommandsDeps } from './create-order-commands';
import { recordCancellation } from './order-metrics';
import { serviceRequests } from './service-requests';

/**
 * `orders.commands`, keyed by order id, so one order's commands are handled in the order they were
 * sent. CreateOrders are gathered across partitions and placed in batches (create-order-commands.ts);
 * a batch that keeps failing is taken apart down to single orders, and an order dead-lettered
 * after all is stored REJECTED / PROCESSING_FAILED. (Reads have a consumer of their own:
 * order-queries-consumer.ts.)
 */
export function orderCommandsConsumer(deps: CreateOrderCommandsDeps & { orders: OrderRepository }): ConsumerDefinition {
  const { publisher, orders, logger } = deps;
  const creates = createOrderCommands(deps);
  const { releaseStock } = serviceRequests(deps.requester, publisher.maxMessageBytes);
  return {
    groupId: ConsumerGroups.orderManagement,
    topics: [Topics.orderCommands],
    // as many CreateOrders at once as one ReserveStock may carry: under load batches fill up, and
    // each costs the same few round trips whatever its size (measured: 1,000 kept up with ~3,900
    // orders/s where 500 fell behind)
    maxBatchMessages: MAX_ORDERS_PER_REQUEST,
    routes: [
      onMessages(CreateOrder, creates.place, { onDeadLetter: creates.recordUndecided }),
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
  };
}
