import type { Kafka } from '@orderline/messaging';
import { ConsumerGroups, ReleaseReservations, ReleaseStock, ReserveStock, Topics } from '@orderline/contracts';
import { isDatabaseUnavailable, isPermanentDataError } from '@orderline/db';
import type { Logger } from '@orderline/logging';
import { onMessage, onRequest, startConsumer, type Publisher } from '@orderline/messaging';
import type { StockRepository } from '../db/stock-repository';

/**
 * Answers ReserveStock and ReleaseStock requests from `inventory.requests` and carries out
 * ReleaseReservations commands. (Catalog reads have a consumer of their own: inventory-queries-consumer.ts.)
 */
export function startInventoryRequestsConsumer(deps: {
  kafka: Kafka;
  publisher: Publisher;
  stock: StockRepository;
  logger: Logger;
  /** how long a message waits out a dependency outage before it is dead-lettered */
  maxOutageMs?: number;
}) {
  const { publisher, stock } = deps;
  return startConsumer({
    kafka: deps.kafka,
    groupId: ConsumerGroups.inventoryService,
    topics: [Topics.inventoryRequests],
    publisher,
    logger: deps.logger,
    isPermanent: isPermanentDataError,
    isTransient: isDatabaseUnavailable,
    maxOutageMs: deps.maxOutageMs,
    routes: [
      onMessage(ReleaseReservations, async ({ orderIds }) => {
        await stock.releaseAll(orderIds);
      }),
      onRequest(ReserveStock, publisher, async ({ orders }) => ({ results: await stock.reserve(orders) })),
      onRequest(ReleaseStock, publisher, ({ orderId }) => stock.release(orderId)),
    ],
  });
}
