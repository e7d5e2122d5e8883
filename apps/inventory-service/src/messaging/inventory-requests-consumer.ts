import { ConsumerGroups, ReleaseReservations, ReleaseStock, ReserveStock, Topics } from '@orderline/contracts';
import { onMessage, onRequest, type ConsumerDefinition, type ReplySender } from '@orderline/messaging';
import type { StockRepository } from '../db/stock-repository';

/**
 * `inventory.requests`: ReserveStock and ReleaseStock requests, and ReleaseReservations commands.
 * (Catalog reads have a consumer of their own: inventory-queries-consumer.ts.)
 */
export function inventoryRequestsConsumer(deps: {
  publisher: ReplySender;
  stock: Pick<StockRepository, 'reserve' | 'release' | 'releaseAll'>;
}): ConsumerDefinition {
  const { publisher, stock } = deps;
  return {
    groupId: ConsumerGroups.inventoryService,
    topics: [Topics.inventoryRequests],
    routes: [
      onMessage(ReleaseReservations, async ({ orderIds }) => {
        await stock.releaseAll(orderIds);
      }),
      onRequest(ReserveStock, publisher, async ({ orders }) => ({ results: await stock.reserve(orders) })),
      onRequest(ReleaseStock, publisher, ({ orderId }) => stock.release(orderId)),
    ],
  };
}
