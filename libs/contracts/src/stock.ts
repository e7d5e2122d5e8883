import { z } from 'zod';
import { Money } from './money';
import { CustomerId, OrderId, Product, ProductId } from './orders';

/** Why an admin changed a product's stock: `RECEIVED` and `RETURNED` add, `DAMAGED` writes off, `COUNT_CORRECTION` either. */
export const StockAdjustmentReason = z.enum(['RECEIVED', 'COUNT_CORRECTION', 'DAMAGED', 'RETURNED']);
export type StockAdjustmentReason = z.infer<typeof StockAdjustmentReason>;

/** What changed a product's stock (OPENING_BALANCE: the stock it had when the log began). */
export const StockMovementKind = z.enum(['OPENING_BALANCE', 'CREATED', 'ADJUSTMENT', 'RESERVATION', 'RELEASE']);
export type StockMovementKind = z.infer<typeof StockMovementKind>;

/** The most units one product can hold, and one adjustment move: far below the int column's 2^31. */
export const MAX_STOCK_QUANTITY = 1_000_000_000;

/** A quantity of stock (a product's, or a threshold). */
export const StockQuantity = z.int().min(0).max(MAX_STOCK_QUANTITY);

/** A product's price: 0.01 to 9,999,999,999.99 (the column is numeric(12,2)). */
export const UnitPrice = Money.refine((money) => /[1-9]/.test(money), 'must be more than 0.00');

/** One change of a product's stock, with its cause, and the available quantity after it. */
export const StockMovement = z.object({
  /** ascending with time per product (bigint as text): the page cursor */
  id: z.string(),
  productId: ProductId,
  kind: StockMovementKind,
  delta: z.int(),
  quantityAfter: z.int(),
  /** adjustments: why, who (the admin's token subject) and the caller's reference */
  reason: StockAdjustmentReason.nullable(),
  actor: CustomerId.nullable(),
  reference: z.string().nullable(),
  /** reservations and releases: the order */
  orderId: OrderId.nullable(),
  createdAt: z.iso.datetime(),
});
export type StockMovement = z.infer<typeof StockMovement>;

export const StockMovementPage = z.object({ items: z.array(StockMovement), nextCursor: z.string().nullable() });
export type StockMovementPage = z.infer<typeof StockMovementPage>;

/** A product as admins manage it: the catalog view plus its LowStock threshold (the default one when it has none of its own). */
export const ManagedProduct = Product.extend({ lowStockThreshold: StockQuantity });
export type ManagedProduct = z.infer<typeof ManagedProduct>;

/** A new product (as stored and sent to inventory; the HTTP body is stricter about text). */
export const NewProduct = z.object({
  id: ProductId,
  name: z.string().min(1).max(200),
  description: z.string().max(2_000).default(''),
  unitPrice: UnitPrice,
  availableQuantity: StockQuantity,
  lowStockThreshold: StockQuantity.optional(),
});
export type NewProduct = z.infer<typeof NewProduct>;

/** What an admin may change of a product; `lowStockThreshold: null` goes back to the default. */
export const ProductChanges = z.object({
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(2_000).optional(),
  unitPrice: UnitPrice.optional(),
  active: z.boolean().optional(),
  lowStockThreshold: StockQuantity.nullable().optional(),
});
export type ProductChanges = z.infer<typeof ProductChanges>;

/** One adjustment: a non-zero delta within ±MAX_STOCK_QUANTITY. */
export const StockAdjustment = z.object({
  delta: z
    .int()
    .min(-MAX_STOCK_QUANTITY)
    .max(MAX_STOCK_QUANTITY)
    .refine((delta) => delta !== 0, 'must not be 0'),
  reason: StockAdjustmentReason,
  reference: z.string().min(1).max(200).optional(),
});
export type StockAdjustment = z.infer<typeof StockAdjustment>;
