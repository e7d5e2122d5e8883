import { z } from 'zod';
import { StockAdjustment, StockAdjustmentReason, StockQuantity, UnitPrice } from '../stock';
import { ClientProductId, ClientText } from './client-text';

/** GET /api/v1/products */
export const ListProductsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: ClientText.pipe(z.string().max(200)).optional(),
});
export type ListProductsQuery = z.infer<typeof ListProductsQuery>;

export const ProductIdParam = z.strictObject({ id: ClientProductId });

const ClientName = ClientText.pipe(z.string().trim().min(1).max(200));
const ClientDescription = ClientText.pipe(z.string().trim().max(2_000));

/** POST /api/v1/products (admin) */
export const CreateProductBody = z.strictObject({
  id: ClientProductId,
  name: ClientName,
  description: ClientDescription.optional(),
  unitPrice: UnitPrice,
  availableQuantity: StockQuantity,
  lowStockThreshold: StockQuantity.optional(),
});
export type CreateProductBody = z.infer<typeof CreateProductBody>;

/** PATCH /api/v1/products/:id (admin). The URL id is the only id. */
export const UpdateProductBody = z
  .strictObject({
    name: ClientName.optional(),
    description: ClientDescription.optional(),
    unitPrice: UnitPrice.optional(),
    active: z.boolean().optional(),
    lowStockThreshold: StockQuantity.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'send at least one field to change' });
export type UpdateProductBody = z.infer<typeof UpdateProductBody>;

/** POST /api/v1/products/:id/stock-adjustments (admin) */
export const StockAdjustmentBody = z.strictObject({
  delta: StockAdjustment.shape.delta,
  reason: StockAdjustmentReason,
  reference: ClientText.pipe(z.string().trim().min(1).max(200)).optional(),
});
export type StockAdjustmentBody = z.infer<typeof StockAdjustmentBody>;

/** GET /api/v1/products/:id/stock-movements (admin) */
export const ListStockMovementsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, 'a cursor from a previous page')
    .optional(),
});
export type ListStockMovementsQuery = z.infer<typeof ListStockMovementsQuery>;
