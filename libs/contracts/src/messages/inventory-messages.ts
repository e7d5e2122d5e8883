import { z } from 'zod';
import { Money } from '../money';
import { OrderId, OrderLineRequest, Product, ProductId } from '../orders';
import { Topics } from '../topics';
import { defineRequest } from './envelope';

const OrderToReserve = z.object({ orderId: OrderId, items: z.array(OrderLineRequest).min(1).max(100) });

export const Reservation = z.discriminatedUnion('outcome', [
  z.object({
    orderId: OrderId,
    outcome: z.literal('RESERVED'),
    lines: z.array(z.object({ productId: ProductId, quantity: z.int(), unitPrice: Money })),
  }),
  z.object({
    orderId: OrderId,
    outcome: z.literal('REJECTED'),
    reason: z.enum(['UNKNOWN_PRODUCT', 'OUT_OF_STOCK']),
    productIds: z.array(ProductId),
  }),
]);
export type Reservation = z.infer<typeof Reservation>;

/**
 * order-management → inventory-service: reserve stock for a batch of orders, each all or nothing,
 * in the order given (earlier orders get scarce stock first). Idempotent per order id: asking
 * again answers with the reservation already made.
 */
/** The most orders one ReserveStock carries: order-management's largest batch. */
export const MAX_ORDERS_PER_REQUEST = 1_000;
/**
 * The most order lines one ReserveStock carries (~60 bytes each, ~100 with its price in the
 * reply), so request and reply stay far under the broker's 1 MiB message limit. A batch of large
 * orders goes out as several requests, one after the other.
 */
export const MAX_LINES_PER_RESERVATION = 5_000;

export const ReserveStock = defineRequest({
  type: 'ReserveStock',
  topic: Topics.inventoryRequests,
  request: z.object({ orders: z.array(OrderToReserve).min(1).max(MAX_ORDERS_PER_REQUEST) }),
  reply: z.object({ results: z.array(Reservation) }),
});

/** gateway → inventory-service: one page of the catalog, ordered by product id. */
export const ListProducts = defineRequest({
  type: 'ListProducts',
  topic: Topics.inventoryRequests,
  request: z.object({ limit: z.int().min(1).max(100), cursor: z.string().optional() }),
  reply: z.object({ items: z.array(Product), nextCursor: z.string().nullable() }),
});

/** gateway → inventory-service: one product. */
export const GetProduct = defineRequest({
  type: 'GetProduct',
  topic: Topics.inventoryRequests,
  request: z.object({ productId: ProductId }),
  reply: z.object({ product: Product.nullable() }),
});

/**
 * order-management → inventory-service: give back everything reserved for an order. Idempotent:
 * releasing again gives back nothing more.
 */
export const ReleaseStock = defineRequest({
  type: 'ReleaseStock',
  topic: Topics.inventoryRequests,
  request: z.object({ orderId: OrderId }),
  reply: z.object({ released: z.array(z.object({ productId: ProductId, quantity: z.int() })) }),
});
