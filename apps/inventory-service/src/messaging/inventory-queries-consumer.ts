import { ConsumerGroups, GetProduct, ListProducts, ListStockMovements, Topics, payloadBudget } from '@orderline/contracts';
import { ReplyError, onQuery, type ConsumerDefinition, type Publisher } from '@orderline/messaging';
import type { ProductRepository } from '../db/product-repository';
import type { StockLogRepository } from '../db/stock-log-repository';

/**
 * `inventory.queries`: catalog reads (ListProducts, GetProduct; inactive products only when the
 * gateway asks for an admin) and stock logs (ListStockMovements) in a consumer group of their own,
 * so they never wait behind stock reservations.
 */
export function inventoryQueriesConsumer(deps: {
  publisher: Pick<Publisher, 'publish' | 'maxMessageBytes'>;
  /** reads of one partition answered side by side (as many as the reads' database connections) */
  handleConcurrently: number;
  products: Pick<ProductRepository, 'list' | 'findById'>;
  stockLog: Pick<StockLogRepository, 'movements'>;
}): ConsumerDefinition {
  const { publisher, handleConcurrently, products, stockLog } = deps;
  return {
    groupId: ConsumerGroups.inventoryServiceQueries,
    topics: [Topics.inventoryQueries],
    handleConcurrently,
    routes: [
      onQuery(ListProducts, publisher, ({ limit, cursor, includeInactive }) =>
        products.list(limit, cursor, payloadBudget(publisher.maxMessageBytes), { includeInactive }),
      ),
      onQuery(GetProduct, publisher, async ({ productId, includeInactive }) => ({
        product: await products.findById(productId, { includeInactive }),
      })),
      onQuery(ListStockMovements, publisher, async ({ productId, limit, cursor }) => {
        const page = await stockLog.movements(productId, limit, cursor);
        if (!page) throw new ReplyError('NOT_FOUND', `no product ${productId}`);
        return page;
      }),
    ],
  };
}
