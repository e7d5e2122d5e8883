import { z } from 'zod';
import { CustomerId, Order, OrderId, OrderLineRequest, ShippingAddress } from '../orders';
import { Topics } from '../topics';
import { defineMessage, defineRequest } from './envelope';

/** Gateway → order-management, fire-and-forget: place this order (already validated, id chosen). */
export const CreateOrder = defineMessage({
  type: 'CreateOrder',
  topic: Topics.orderCommands,
  payload: z.object({
    orderId: OrderId,
    customerId: CustomerId,
    items: z.array(OrderLineRequest).min(1).max(100),
    shippingAddress: ShippingAddress,
  }),
});
export type CreateOrderPayload = z.infer<typeof CreateOrder.payload>;

/**
 * Gateway → order-management: read one order. Sent on the order command topic with the order id
 * as key, so it is answered after every earlier command for that order (read-your-writes).
 */
export const GetOrder = defineRequest({
  type: 'GetOrder',
  topic: Topics.orderCommands,
  request: z.object({ orderId: OrderId }),
  reply: z.object({ order: Order.nullable() }),
});
