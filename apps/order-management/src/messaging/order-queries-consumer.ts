import { ConsumerGroups, ListOrders, LookupOrder, Topics, payloadBudget } from '@orderline/contracts';
import { onQuery, type ConsumerDefinition, type Publisher } from '@orderline/messaging';
import type { OrderRepository } from '../db/order-repository';
import { findOrder } from '../domain/find-order';
import { listOrders } from '../domain/list-orders';
import { answering } from './answering';

/**
 * `orders.queries`: reads (LookupOrder, ListOrders) in a consumer group of their own, so they never
 * wait behind the decisions on `orders.commands`, however far behind those are. Read-only, so
 * any number of these can run beside the decisions.
 */
export function orderQueriesConsumer(deps: {
  publisher: Pick<Publisher, 'publish' | 'maxMessageBytes'>;
  /** reads of one partition answered side by side (as many as the reads' database connections) */
  handleConcurrently: number;
  orders: Pick<OrderRepository, 'findById' | 'listPage'>;
}): ConsumerDefinition {
  const { publisher, handleConcurrently, orders } = deps;
  return {
    groupId: ConsumerGroups.orderManagementQueries,
    topics: [Topics.orderQueries],
    handleConcurrently,
    routes: [
      onQuery(LookupOrder, publisher, ({ orderId, caller }) =>
        answering(async () => ({ order: await findOrder(orderId, caller, orders) })),
      ),
      onQuery(ListOrders, publisher, (query) => answering(() => listOrders(query, orders, payloadBudget(publisher.maxMessageBytes)))),
    ],
  };
}
