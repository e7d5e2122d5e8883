import { z } from 'zod';
import { CustomerId, ProductId } from '../orders';
import { ManagedProduct, NewProduct, ProductChanges, StockAdjustment, StockMovement, StockMovementPage, StockQuantity } from '../stock';
import { Topics } from '../topics';
import { defineMessage, defineRequest } from './envelope';

/*
 * Catalog and stock administration: the gateway asks inventory-service (admins only; the gateway
 * checks the role and names the admin as `actor`). Changes go on inventory.requests keyed by
 * product id, reads on inventory.queries; inventory announces every change on inventory.events.
 */

/** Create a product. CONFLICT when the id exists. */
export const CreateProduct = defineRequest({
  type: 'CreateProduct',
  topic: Topics.inventoryRequests,
  request: z.object({ product: NewProduct, actor: CustomerId }),
  reply: z.object({ product: ManagedProduct }),
});

/** Change a product's name, description, price, active flag or threshold. NOT_FOUND when there is no such product. */
export const UpdateProduct = defineRequest({
  type: 'UpdateProduct',
  topic: Topics.inventoryRequests,
  request: z.object({ productId: ProductId, changes: ProductChanges, actor: CustomerId }),
  reply: z.object({ product: ManagedProduct }),
});

/**
 * Receive goods (delta > 0) or write off (delta < 0), applied once per product and Idempotency-Key:
 * the same key again answers the movement it made (KEY_REUSED when it came with another adjustment);
 * INSUFFICIENT_STOCK (nothing changed) when the stock would go below zero, OVER_MAXIMUM above MAX_STOCK_QUANTITY. NOT_FOUND when there is
 * no such product.
 */
export const AdjustStock = defineRequest({
  type: 'AdjustStock',
  topic: Topics.inventoryRequests,
  request: StockAdjustment.extend({ productId: ProductId, actor: CustomerId, idempotencyKey: z.string().min(1).max(255) }),
  reply: z.discriminatedUnion('outcome', [
    z.object({ outcome: z.literal('APPLIED'), movement: StockMovement }),
    z.object({ outcome: z.literal('INSUFFICIENT_STOCK'), availableQuantity: z.int() }),
    /** the stock would exceed MAX_STOCK_QUANTITY; nothing changed */
    z.object({ outcome: z.literal('OVER_MAXIMUM'), availableQuantity: z.int() }),
    z.object({ outcome: z.literal('KEY_REUSED') }),
  ]),
});

/** One page of a product's stock movements, newest first (cursor: the last id of the previous page). NOT_FOUND when there is no such product. */
export const ListStockMovements = defineRequest({
  type: 'ListStockMovements',
  topic: Topics.inventoryQueries,
  request: z.object({
    productId: ProductId,
    limit: z.int().min(1).max(100),
    cursor: z
      .string()
      .regex(/^\d{1,19}$/)
      .optional(),
  }),
  reply: StockMovementPage,
});

// ---------------------------------------------------------------- inventory.events (inventory's outbox), key: product id

export const ProductCreated = defineMessage({
  type: 'ProductCreated',
  topic: Topics.inventoryEvents,
  payload: z.object({ product: ManagedProduct, actor: CustomerId }),
});

/** `changed`: the fields the update named (a price change applies to orders decided after it). */
export const ProductUpdated = defineMessage({
  type: 'ProductUpdated',
  topic: Topics.inventoryEvents,
  payload: z.object({ product: ManagedProduct, changed: z.array(z.string()), actor: CustomerId }),
});

/** An adjustment, as its movement in the log. */
export const StockAdjusted = defineMessage({
  type: 'StockAdjusted',
  topic: Topics.inventoryEvents,
  payload: z.object({ movement: StockMovement }),
});

/** A change (adjustment or reservation) took the available quantity from above the product's threshold to it or below. */
export const LowStock = defineMessage({
  type: 'LowStock',
  topic: Topics.inventoryEvents,
  payload: z.object({ productId: ProductId, availableQuantity: StockQuantity, threshold: StockQuantity }),
});

export const InventoryEventTypes = [ProductCreated.type, ProductUpdated.type, StockAdjusted.type, LowStock.type] as const;
