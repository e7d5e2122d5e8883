import type { Order } from '@orderline/contracts';
import { InvalidCursor, decodeCursor, encodeCursor, listOrders } from './list-orders';

describe('order list cursors', () => {
  it('round-trip', () => {
    const position = { createdAt: new Date('2026-11-24T10:00:00.123Z'), id: '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['a year the database cannot hold', ['-200000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']],
    ['an extended year', ['+010000-01-01T00:00:00.000Z', '00000000-0000-1000-8000-000000000000']],
    ['a non-canonical id', ['2026-01-01T00:00:00.000Z', '------------------------------------']],
    ['an impossible date', ['2026-02-31T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']],
  ])('refuses %s', (_name, value) => {
    const cursor = typeof value === 'string' ? value : Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(() => decodeCursor(cursor)).toThrow(InvalidCursor);
  });
});

describe('listOrders pages by bytes', () => {
  const order = (i: number, text: string): Order => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    customerId: 'CUST07',
    status: 'REJECTED',
    items: Array.from({ length: 100 }, (_, n) => ({ productId: `${text}${n}`, quantity: 1, unitPrice: null })),
    totalAmount: null,
    shippingAddress: { line1: text, city: text, postalCode: 'x', country: 'DE' },
    trackingCompany: null,
    trackingNumber: null,
    rejectionReason: 'UNKNOWN_PRODUCT',
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 100 - i)).toISOString(),
    updatedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
    version: 1,
  });
  const caller = { customerId: 'CUST07', role: 'customer' as const };

  it('cuts a page of large orders to fit the budget and continues after the last one it holds', async () => {
    const rows = Array.from({ length: 100 }, (_, i) => order(i, '\u0001'.repeat(26)));
    const listPage = jest.fn(async () => ({ items: rows, next: null }));
    const page = await listOrders({ caller, limit: 100 }, { listPage }, 200_000);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.length).toBeLessThan(100);
    expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThanOrEqual(200_000);
    const last = page.items[page.items.length - 1];
    expect(decodeCursor(page.nextCursor as string)).toEqual({ createdAt: new Date(last.createdAt), id: last.id });
  });

  it('leaves a page that fits as it is', async () => {
    const rows = [order(1, 'a'), order(2, 'b')];
    const page = await listOrders({ caller, limit: 2 }, { listPage: async () => ({ items: rows, next: null }) }, 200_000);
    expect(page).toEqual({ items: rows, nextCursor: null });
  });
});
