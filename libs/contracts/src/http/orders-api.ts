import { z } from 'zod';
import { CustomerId, OrderLines, OrderStatus, ShippingAddress } from '../orders';

/** POST /api/v1/orders */
export const CreateOrderBody = z.strictObject({
  items: OrderLines,
  shippingAddress: ShippingAddress,
  /** admins only: place the order for this customer */
  customerId: CustomerId.optional(),
});
export type CreateOrderBody = z.infer<typeof CreateOrderBody>;

export const CreateOrderAccepted = z.object({
  id: z.uuid(),
  status: z.literal('PENDING'),
});

export const IdempotencyKey = z.string().min(1).max(255);

/** GET /api/v1/orders */
export const ListOrdersQuery = z.strictObject({
  status: OrderStatus.optional(),
  customerId: CustomerId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export type ListOrdersQuery = z.infer<typeof ListOrdersQuery>;

export const OrderIdParam = z.strictObject({ id: z.uuid() });
