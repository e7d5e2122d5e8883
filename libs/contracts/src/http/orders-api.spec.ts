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

describe('text the database can store', () => {
  it.each([
    ['a lone surrogate', '\uD800'],
    ['a NUL', 'a\u0000b'],
  ])('rejects %s in an address line', (_name, line1) => {
    const body = { items: [{ productId: 'P', quantity: 1 }], shippingAddress: { ...address, line1 } };
    expect(CreateOrderBody.safeParse(body).success).toBe(false);
  });

  it('accepts any well-formed Unicode', () => {
    const body = { items: [{ productId: 'P', quantity: 1 }], shippingAddress: { ...address, line1: 'Straße 1 🚚 東京' } };
    expect(CreateOrderBody.safeParse(body).success).toBe(true);
  });
});
