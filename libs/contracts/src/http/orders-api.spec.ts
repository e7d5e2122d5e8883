import { CreateOrderBody, ListOrdersQuery } from './orders-api';

const address = { line1: 'a', city: 'b', postalCode: 'c', country: 'DE' };

describe('CreateOrderBody', () => {
  it('accepts a minimal order', () => {
    expect(CreateOrderBody.safeParse({ items: [{ productId: 'P', quantity: 1 }], shippingAddress: address }).success).toBe(true);
  });

  it('rejects duplicate product ids and unknown fields', () => {
    const dup = CreateOrderBody.safeParse({
      items: [
        { productId: 'P', quantity: 1 },
        { productId: 'P', quantity: 2 },
      ],
      shippingAddress: address,
    });
    expect(dup.success).toBe(false);
    const unknown = CreateOrderBody.safeParse({ items: [{ productId: 'P', quantity: 1 }], shippingAddress: address, total: 1 });
    expect(unknown.success).toBe(false);
  });
});

describe('ListOrdersQuery', () => {
  it('defaults limit to 20 and caps it at 100', () => {
    expect(ListOrdersQuery.parse({}).limit).toBe(20);
    expect(ListOrdersQuery.safeParse({ limit: '101' }).success).toBe(false);
  });
});
