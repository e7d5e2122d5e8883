import type { Kafka } from 'kafkajs';
import {
  ConsumerGroups,
  GetProduct,
  ListProducts,
  ReleaseReservations,
  ReleaseStock,
  ReserveStock,
  Topics,
  payloadBudget,
} from '@orderline/contracts';
import { isDatabaseUnavailable, isPermanentDataError } from '@orderline/db';
import type { Logger } from '@orderline/logging';
import { onMessage, onRequest, startConsumer, type Publisher } from '@orderline/messaging';
import type { ProductRepository } from '../db/product-repository';
import type { StockRepository } from '../db/stock-repository';

/**
 * Answers ReserveStock, ReleaseStock, ListProducts and GetProduct requests from `inventory.requests`,
 * and carries out ReleaseReservations commands.
 */
export function startInventoryRequestsConsumer(deps: {
  kafka: Kafka;
  publisher: Publisher;
  products: ProductRepository;
  stock: StockRepository;
  logger: Logger;
  /** how long a message waits out a dependency outage before it is dead-lettered */
  maxOutageMs?: number;
}) {
  const { publisher, products, stock } = deps;
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
      onRequest(ListProducts, publisher, ({ limit, cursor }) => products.list(limit, cursor, payloadBudget(publisher.maxMessageBytes))),
      onRequest(GetProduct, publisher, async ({ productId }) => ({ product: await products.findById(productId) })),
    ],
  });
}
