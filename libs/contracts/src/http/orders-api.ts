import { z } from 'zod';
import { OrderStatus } from '../orders';
import { ClientCustomerId, ClientOrderLines, ClientShippingAddress, ClientText, ClientTrackingText } from './client-text';

/** POST /api/v1/orders */
export const CreateOrderBody = z.strictObject({
  items: ClientOrderLines,
  shippingAddress: ClientShippingAddress,
  /** admins only: place the order for this customer */
  customerId: ClientCustomerId.optional(),
});
export type CreateOrderBody = z.infer<typeof CreateOrderBody>;

export const CreateOrderAccepted = z.object({
  id: z.uuid(),
  status: z.literal('PENDING'),
});

/** `Idempotency-Key` header of POST /api/v1/orders */
export const IdempotencyKey = ClientText.pipe(z.string().min(1).max(255));

/**
 * PATCH (or PUT) /api/v1/orders/:id. The owner may change `shippingAddress` while the order is
 * PENDING or CONFIRMED; an admin may also set `status` SHIPPED (with tracking) or DELIVERED.
 * The URL id is the only id: `id`/`orderId` in the body are unknown fields.
 */
export const UpdateOrderBody = z
  .strictObject({
    shippingAddress: ClientShippingAddress.optional(),
    status: z.enum(['SHIPPED', 'DELIVERED']).optional(),
    trackingCompany: ClientTrackingText.optional(),
    trackingNumber: ClientTrackingText.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'send at least one field to change' })
  .refine((body) => body.status !== 'SHIPPED' || (body.trackingCompany && body.trackingNumber), {
    message: 'status SHIPPED needs trackingCompany and trackingNumber',
    path: ['status'],
  })
  .refine((body) => body.status === 'SHIPPED' || (!body.trackingCompany && !body.trackingNumber), {
    message: 'tracking details go with status SHIPPED',
    path: ['trackingCompany'],
  });
export type UpdateOrderBody = z.infer<typeof UpdateOrderBody>;

/** GET /api/v1/orders */
export const ListOrdersQuery = z.strictObject({
  status: OrderStatus.optional(),
  /** admins only: one customer's orders */
  customerId: ClientCustomerId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: ClientText.pipe(z.string().min(1).max(200)).optional(),
});
export type ListOrdersQuery = z.infer<typeof ListOrdersQuery>;

export const OrderIdParam = z.strictObject({ id: z.uuid() });
