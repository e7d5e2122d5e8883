import { createRequestHash, orderIdForIdempotencyKey } from './idempotency';

const address = { line1: 'a', city: 'b', postalCode: 'c', country: 'DE' };

describe('idempotency keys', () => {
  it('derive one stable uuid v5 per (customer, key)', () => {
    const id = orderIdForIdempotencyKey('CUST01', 'key-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(orderIdForIdempotencyKey('CUST01', 'key-1')).toBe(id);
    expect(orderIdForIdempotencyKey('CUST02', 'key-1')).not.toBe(id);
    expect(orderIdForIdempotencyKey('CUST01', 'key-2')).not.toBe(id);
  });

  it('hash the request regardless of line and key order, but not of its content', () => {
    const a = createRequestHash('C', {
      items: [
        { productId: 'P1', quantity: 1 },
        { productId: 'P2', quantity: 2 },
      ],
      shippingAddress: address,
    });
    const b = createRequestHash('C', {
      items: [
        { productId: 'P2', quantity: 2 },
        { productId: 'P1', quantity: 1 },
      ],
      shippingAddress: { country: 'DE', postalCode: 'c', city: 'b', line1: 'a' },
    });
    const c = createRequestHash('C', {
      items: [
        { productId: 'P1', quantity: 2 },
        { productId: 'P2', quantity: 2 },
      ],
      shippingAddress: address,
    });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});
