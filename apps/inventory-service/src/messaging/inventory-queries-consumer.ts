import { ConsumerGroups, GetProduct, ListProducts, Topics, payloadBudget } from '@orderline/contracts';
import { onRequest, type ConsumerDefinition, type Publisher } from '@orderline/messaging';
import type { ProductRepository } from '../db/product-repository';

/**
 * `inventory.queries`: catalog reads (ListProducts, GetProduct) in a consumer group of their own,
 * so they never wait behind stock reservations.
 */
export function inventoryQueriesConsumer(deps: {
  publisher: Pick<Publisher, 'publish' | 'maxMessageBytes'>;
  products: Pick<ProductRepository, 'list' | 'findById'>;
}): ConsumerDefinition {
  const { publisher, products } = deps;
  return {
    groupId: ConsumerGroups.inventoryServiceQueries,
    topics: [Topics.inventoryQueries],
    routes: [
      onRequest(ListProducts, publisher, ({ limit, cursor }) => products.list(limit, cursor, payloadBudget(publisher.maxMessageBytes))),
      onRequest(GetProduct, publisher, async ({ productId }) => ({ product: await products.findById(productId) })),
    ],
  };
}
