import type { Kafka } from '@orderline/messaging';
import { ConsumerGroups, GetProduct, ListProducts, Topics, payloadBudget } from '@orderline/contracts';
import { isDatabaseUnavailable, isPermanentDataError } from '@orderline/db';
import type { Logger } from '@orderline/logging';
import { onRequest, startConsumer, type Publisher } from '@orderline/messaging';
import type { ProductRepository } from '../db/product-repository';

/**
 * Answers catalog reads (ListProducts, GetProduct) from `inventory.queries` in a consumer group of
 * its own: they never wait behind stock reservations.
 */
export function startInventoryQueriesConsumer(deps: {
  kafka: Kafka;
  publisher: Publisher;
  products: ProductRepository;
  logger: Logger;
  maxOutageMs?: number;
}) {
  const { publisher, products } = deps;
  return startConsumer({
    kafka: deps.kafka,
    groupId: ConsumerGroups.inventoryServiceQueries,
    topics: [Topics.inventoryQueries],
    publisher,
    logger: deps.logger,
    isPermanent: isPermanentDataError,
    isTransient: isDatabaseUnavailable,
    maxOutageMs: deps.maxOutageMs,
    routes: [
      onRequest(ListProducts, publisher, ({ limit, cursor }) => products.list(limit, cursor, payloadBudget(publisher.maxMessageBytes))),
      onRequest(GetProduct, publisher, async ({ productId }) => ({ product: await products.findById(productId) })),
    ],
  });
}
