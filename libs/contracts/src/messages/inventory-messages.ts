import { z } from 'zod';
import { Money } from '../money';
import { OrderId, OrderLineRequest, Product, ProductId } from '../orders';
import { Topics } from '../topics';
import { defineMessage, defineRequest } from './envelope';

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
    /** RESERVATION_MISMATCH: this order id already holds a reservation for other items */
    reason: z.enum(['UNKNOWN_PRODUCT', 'OUT_OF_STOCK', 'RESERVATION_MISMATCH']),
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

export const ReserveStock = defineRequest({
  type: 'ReserveStock',
  topic: Topics.inventoryRequests,
  request: z.object({ orders: z.array(OrderToReserve).min(1).max(MAX_ORDERS_PER_REQUEST) }),
  reply: z.object({ results: z.array(Reservation) }),
});

/** gateway → inventory-service (its query consumer, never behind reservations): one page of the catalog, ordered by product id. */
export const ListProducts = defineRequest({
  type: 'ListProducts',
  topic: Topics.inventoryQueries,
  /** includeInactive: admins see inactive products too */
  request: z.object({ limit: z.int().min(1).max(100), cursor: z.string().optional(), includeInactive: z.boolean().default(false) }),
  reply: z.object({ items: z.array(Product), nextCursor: z.string().nullable() }),
});

/** gateway → inventory-service: one product. */
export const GetProduct = defineRequest({
  type: 'GetProduct',
  topic: Topics.inventoryQueries,
  /** an inactive product is null unless includeInactive (admins) */
  request: z.object({ productId: ProductId, includeInactive: z.boolean().default(false) }),
  reply: z.object({ product: Product.nullable() }),
});

/**
 * order-management → inventory-service, one-way (sent through order-management's outbox, so it is
 * never lost): give back whatever is still reserved for these orders, which ended without needing
 * it (rejected after a reservation may have been made). Idempotent. Key: the first order id.
 */
export const ReleaseReservations = defineMessage({
  type: 'ReleaseReservations',
  topic: Topics.inventoryRequests,
  payload: z.object({ orderIds: z.array(OrderId).min(1).max(MAX_ORDERS_PER_REQUEST) }),
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
