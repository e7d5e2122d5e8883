import {
  AdjustStock,
  ConsumerGroups,
  CreateProduct,
  ReleaseReservations,
  ReleaseStock,
  ReserveStock,
  Topics,
  UpdateProduct,
} from '@orderline/contracts';
import { ReplyError, onMessage, onRequest, type ConsumerDefinition, type ReplySender } from '@orderline/messaging';
import type { ProductRepository } from '../db/product-repository';
import type { StockLogRepository } from '../db/stock-log-repository';
import type { StockRepository } from '../db/stock-repository';

/**
 * `inventory.requests`: ReserveStock and ReleaseStock requests, and ReleaseReservations commands
 * (order-management); CreateProduct, UpdateProduct and AdjustStock (the gateway, for admins).
 * (Catalog reads have a consumer of their own: inventory-queries-consumer.ts.)
 */
export function inventoryRequestsConsumer(deps: {
  publisher: ReplySender;
  stock: Pick<StockRepository, 'reserve' | 'release' | 'releaseAll'>;
  products: Pick<ProductRepository, 'create' | 'update'>;
  stockLog: Pick<StockLogRepository, 'adjust'>;
}): ConsumerDefinition {
  const { publisher, stock, products, stockLog } = deps;
  return {
    groupId: ConsumerGroups.inventoryService,
    topics: [Topics.inventoryRequests],
    routes: [
      onMessage(ReleaseReservations, async ({ orderIds }) => {
        await stock.releaseAll(orderIds);
      }),
      onRequest(ReserveStock, publisher, async ({ orders }, envelope) => ({
        results: await stock.reserve(orders, envelope.correlationId),
      })),
      onRequest(ReleaseStock, publisher, ({ orderId }) => stock.release(orderId)),
      onRequest(CreateProduct, publisher, async ({ product, actor }, envelope) => {
        const created = await products.create(product, actor, envelope.correlationId);
        if (!created) throw new ReplyError('CONFLICT', `a product ${product.id} exists`);
        return { product: created };
      }),
      onRequest(UpdateProduct, publisher, async ({ productId, changes, actor }, envelope) => {
        const updated = await products.update(productId, changes, actor, envelope.correlationId);
        if (!updated) throw new ReplyError('NOT_FOUND', `no product ${productId}`);
        return { product: updated };
      }),
      onRequest(AdjustStock, publisher, async (request, envelope) => {
        const result = await stockLog.adjust(request, envelope.correlationId);
        if (!result) throw new ReplyError('NOT_FOUND', `no product ${request.productId}`);
        return result;
      }),
    ],
  };
}
