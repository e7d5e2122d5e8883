import { z } from 'zod';
import { CreateOrder } from '../messages/order-messages';
import { Order, ProductId, ShippingAddress } from '../orders';
import { ClientShippingAddress, ClientText } from './client-text';
import { CreateOrderBody, IdempotencyKey, ListOrdersQuery, UpdateOrderBody } from './orders-api';
import { ListProductsQuery, ProductIdParam } from './products-api';

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

describe('control characters at the HTTP edge', () => {
  const pathsOf = (result: { error?: { issues: { path: PropertyKey[] }[] } }) => result.error?.issues.map((i) => i.path.join('.'));
  // C0, DEL and C1 edges, and the tab/newline a trim would otherwise swallow
  const controls = ['\u0000', '\u0001', '\t', '\n', '\u001F', '\u007F', '\u0080', '\u009F'];

  it.each(controls.map((c) => [`U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`, c]))(
    'refuses %s in every text field of a new order, naming each',
    (_name, c) => {
      const body = {
        items: [{ productId: `P${c}1`, quantity: 1 }],
        shippingAddress: { line1: `1${c}Main`, line2: `${c}`, city: `B${c}`, postalCode: `1${c}`, country: 'DE' },
        customerId: `CUST${c}`,
      };
      expect(pathsOf(CreateOrderBody.safeParse(body))).toEqual([
        'items.0.productId',
        'shippingAddress.line1',
        'shippingAddress.line2',
        'shippingAddress.city',
        'shippingAddress.postalCode',
        'customerId',
      ]);
      expect(CreateOrderBody.safeParse(body).error?.issues[0]?.message).toMatch(/control characters/);
    },
  );

  it('refuses them in updates, queries, path ids and the Idempotency-Key', () => {
    expect(pathsOf(UpdateOrderBody.safeParse({ status: 'SHIPPED', trackingCompany: 'D\u0085HL', trackingNumber: '1\u00012' }))).toEqual([
      'trackingCompany',
      'trackingNumber',
    ]);
    expect(pathsOf(UpdateOrderBody.safeParse({ shippingAddress: { ...address, city: 'x\u007F' } }))).toEqual(['shippingAddress.city']);
    expect(pathsOf(ListOrdersQuery.safeParse({ customerId: 'CUST\u00011', cursor: 'abc\u0002' }))).toEqual(['customerId', 'cursor']);
    expect(pathsOf(ListProductsQuery.safeParse({ cursor: '\u0010' }))).toEqual(['cursor']);
    expect(pathsOf(ProductIdParam.safeParse({ id: 'PROD\u00010001' }))).toEqual(['id']);
    expect(IdempotencyKey.safeParse('key\u0001').success).toBe(false);
    expect(IdempotencyKey.safeParse('key\u0090').success).toBe(false);
    expect(IdempotencyKey.safeParse('key-1').success).toBe(true);
  });

  it('accepts any other Unicode text (CJK, emoji, accents, non-breaking and zero-width spaces)', () => {
    const text = '東京都 🚚 Straße é\u00A0\u200B\u2028';
    const body = {
      items: [{ productId: '東京🚚', quantity: 1 }],
      shippingAddress: { ...address, line1: text, line2: text, city: text, postalCode: '〒100' },
    };
    expect(CreateOrderBody.safeParse(body).success).toBe(true);
    expect(ListOrdersQuery.safeParse({ cursor: '東京' }).success).toBe(true);
    expect(ClientText.safeParse('\u00A0\u00FF\u0100').success).toBe(true);
  });

  it('leaves the schemas of stored data and messages as lax as before (what was stored still parses)', () => {
    const stored = {
      id: '00000000-0000-4000-8000-000000000001',
      customerId: 'CUST01',
      status: 'REJECTED',
      items: [{ productId: '\u0001'.repeat(26) + '123456', quantity: 1, unitPrice: null }],
      totalAmount: null,
      shippingAddress: { line1: '\u0001'.repeat(200), city: '\u0001', postalCode: '\u0085', country: 'DE' },
      trackingCompany: null,
      trackingNumber: null,
      rejectionReason: 'UNKNOWN_PRODUCT',
      createdAt: '2024-01-01T00:00:00.000Z',
      updatedAt: '2024-01-01T00:00:00.000Z',
      version: 1,
    };
    expect(Order.safeParse(stored).error?.issues ?? []).toEqual([]);
    const command = {
      orderId: stored.id,
      customerId: 'CUST01',
      items: [{ productId: 'P\u0001', quantity: 1 }],
      shippingAddress: stored.shippingAddress,
    };
    expect(CreateOrder.payload.safeParse(command).success).toBe(true);
    expect(ShippingAddress.safeParse({ ...address, line1: 'a\u0001' }).success).toBe(true);
    expect(ProductId.safeParse('P\u0001').success).toBe(true);
  });

  it('documents the rule in the JSON Schema (OpenAPI) as a pattern', () => {
    const schema = z.toJSONSchema(ClientShippingAddress, { io: 'input' });
    expect(schema.properties?.['line1']).toMatchObject({ pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F]*$' });
  });
});
