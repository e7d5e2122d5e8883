import { z } from 'zod';
import { ClientProductId, ClientText } from './client-text';

/** GET /api/v1/products */
export const ListProductsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: ClientText.pipe(z.string().max(200)).optional(),
});
export type ListProductsQuery = z.infer<typeof ListProductsQuery>;

export const ProductIdParam = z.strictObject({ id: ClientProductId });
