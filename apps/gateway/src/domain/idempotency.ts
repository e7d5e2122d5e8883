import { createHash } from 'node:crypto';
import type { CreateOrderBody } from '@orderline/contracts';

/** Namespace for order ids derived from Idempotency-Keys (a fixed, random uuid). */
const ORDER_ID_NAMESPACE = '5b7e3f9a-2d1c-4e8b-9a6f-0c3d2e1f4a5b';

/**
 * The order id for (customer, Idempotency-Key): a name-based uuid (RFC 9562 v5), so every
 * gateway instance derives the same id for the same key with no shared state, however many
 * requests race. Keys are scoped per customer because the customer id is part of the name.
 */
export function orderIdForIdempotencyKey(customerId: string, key: string): string {
  const namespace = Buffer.from(ORDER_ID_NAMESPACE.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(namespace).update(`${customerId}\n${key}`, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8] & 0x3f) | 0x80; // RFC variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** sha-256 of the request in a canonical form (line order and key order do not matter). */
export function createRequestHash(customerId: string, body: CreateOrderBody): string {
  const canonical = {
    customerId,
    items: [...body.items].sort((a, b) => (a.productId < b.productId ? -1 : 1)).map((i) => [i.productId, i.quantity]),
    shippingAddress: Object.entries(body.shippingAddress).sort(([a], [b]) => (a < b ? -1 : 1)),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
