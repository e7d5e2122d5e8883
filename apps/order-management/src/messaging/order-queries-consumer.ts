import type { Kafka } from '@orderline/messaging';
import { ConsumerGroups, ListOrders, LookupOrder, Topics, payloadBudget } from '@orderline/contracts';
import { isDatabaseUnavailable, isPermanentDataError } from '@orderline/db';
import type { Logger } from '@orderline/logging';
import { onRequest, startConsumer, type Publisher } from '@orderline/messaging';
import type { OrderRepository } from '../db/order-repository';
import { findOrder } from '../domain/find-order';
import { listOrders } from '../domain/list-orders';
import { answering } from './answering';

/**
 * Answers reads from `orders.queries` (LookupOrder, ListOrders) in a consumer group of its own:
 * they never wait behind the decisions on `orders.commands`, however far behind those are.
 * Read-only, so any number of these can run beside the decisions.
 */
export function startOrderQueriesConsumer(deps: {
  kafka: Kafka;
  publisher: Publisher;
  orders: OrderRepository;
  logger: Logger;
  maxOutageMs?: number;
}) {
  const { publisher, orders } = deps;
  return startConsumer({
    kafka: deps.kafka,
    groupId: ConsumerGroups.orderManagementQueries,
    topics: [Topics.orderQueries],
    publisher,
    logger: deps.logger,
    isPermanent: isPermanentDataError,
    isTransient: isDatabaseUnavailable,
    maxOutageMs: deps.maxOutageMs,
    routes: [
      onRequest(LookupOrder, publisher, ({ orderId, caller }) => answering(async () => ({ order: await findOrder(orderId, caller, orders) }))),
      onRequest(ListOrders, publisher, (query) => answering(() => listOrders(query, orders, payloadBudget(publisher.maxMessageBytes)))),
    ],
  });
}
