import { z } from 'zod';
import { ProductId, Text } from '../orders';

/** GET /api/v1/products */
export const ListProductsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: Text.pipe(z.string().max(200)).optional(),
});
export type ListProductsQuery = z.infer<typeof ListProductsQuery>;

export const ProductIdParam = z.strictObject({ id: ProductId });
