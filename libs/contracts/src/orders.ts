import { z } from 'zod';
import { Money } from './money';

export const OrderStatus = z.enum(['PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED', 'SHIPPED', 'DELIVERED']);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const RejectionReason = z.enum([
  'UNKNOWN_CUSTOMER',
  'UNKNOWN_PRODUCT',
  'OUT_OF_STOCK',
  'CUSTOMER_BLOCKED',
  /** the order could not be decided (it kept failing, or the database refused it); nothing stays reserved */
  'PROCESSING_FAILED',
  /** the customer has as many open (PENDING or CONFIRMED) orders as allowed; decided before any stock is reserved */
  'TOO_MANY_OPEN_ORDERS',
]);
export type RejectionReason = z.infer<typeof RejectionReason>;

/**
 * Text the database can store: well-formed Unicode (no lone surrogates) without NUL characters.
 * JSON allows both; Postgres (text and jsonb) refuses them.
 */
const Text = z
  .string()
  .refine((value) => value.isWellFormed() && !value.includes('\u0000'), 'must be well-formed Unicode text without NUL');

/**
 * The text fields of orders, built on a text schema: `Text` for what is stored and travels in
 * messages (below), the stricter `ClientText` for what a client sends over HTTP (http/client-text.ts).
 */
export function textFieldsOf(text: z.ZodString) {
  /** Ids are at most 32 characters: the database columns are varchar(32). */
  const id = text.pipe(z.string().min(1).max(32));
  const addressText = (min: number, max: number) => text.pipe(z.string().trim().min(min).max(max));
  const shippingAddress = z.strictObject({
    line1: addressText(1, 200),
    line2: addressText(0, 200).optional(),
    city: addressText(1, 100),
    postalCode: addressText(1, 20),
    country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code, e.g. "DE"'),
  });
  const orderLine = z.strictObject({
    productId: id,
    quantity: z.int().min(1).max(1000),
  });
  const orderLines = z
    .array(orderLine)
    .min(1)
    .max(100)
    .refine((items) => new Set(items.map((i) => i.productId)).size === items.length, {
      message: 'product ids must be unique within an order',
    });
  const trackingText = text.pipe(z.string().trim().min(1).max(100));
  return { id, shippingAddress, orderLine, orderLines, trackingText };
}

const stored = textFieldsOf(Text);
export const CustomerId = stored.id;
export const ProductId = stored.id;
export const OrderId = z.uuid();

export const ShippingAddress = stored.shippingAddress;
export type ShippingAddress = z.infer<typeof ShippingAddress>;

export const OrderLineRequest = stored.orderLine;
export type OrderLineRequest = z.infer<typeof OrderLineRequest>;

/** 1 when stored, +1 with every change; 0 while the order is accepted but not yet stored (PENDING) */
export const OrderVersion = z.int().min(0);

/** An order as the API returns it (and as order events carry it). */
export const Order = z.object({
  id: OrderId,
  customerId: CustomerId,
  status: OrderStatus,
  items: z.array(
    z.object({
      productId: ProductId,
      quantity: z.int(),
      unitPrice: Money.nullable(),
    }),
  ),
  totalAmount: Money.nullable(),
  shippingAddress: ShippingAddress,
  trackingCompany: z.string().nullable(),
  trackingNumber: z.string().nullable(),
  rejectionReason: RejectionReason.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** 1 when stored, +1 with every change: the HTTP ETag, and what UpdateOrder / CancelOrder name as expectedVersion */
  version: OrderVersion,
});
export type Order = z.infer<typeof Order>;

/**
 * Where the next page of an order list begins, opaque to clients: base64url of the page's last
 * order's [createdAt, id] (lists run newest first). Written by order-management and by a gateway
 * answering a first page itself; order-management reads it back.
 */
export function orderListCursor(last: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([last.createdAt, last.id])).toString('base64url');
}

export const Product = z.object({
  id: ProductId,
  name: z.string(),
  description: z.string(),
  unitPrice: Money,
  availableQuantity: z.int(),
  /** false: refused in new orders (UNKNOWN_PRODUCT); only admins see it in the catalog */
  active: z.boolean(),
});
export type Product = z.infer<typeof Product>;

/**
 * Who is asking (from the token the gateway verified): passed with per-order requests so
 * order-management can apply the access rules (order-access.ts).
 */
export const Caller = z.object({
  customerId: CustomerId,
  role: z.enum(['customer', 'admin']),
});
export type Caller = z.infer<typeof Caller>;

/** Tracking details required when an order is shipped. */
export const Tracking = z.object({
  trackingCompany: stored.trackingText,
  trackingNumber: stored.trackingText,
});
