import { randomUUID } from 'node:crypto';
import { createTestProduct, stockOf, testPrisma } from '@orderline/testing';
import { StockRepository } from './stock-repository';

/** Against the real Postgres (npm run infra:up): the SQL is what is under test. */
const prisma = testPrisma();
const stock = new StockRepository(prisma);
afterAll(() => prisma.$disconnect());

describe('StockRepository.reserve', () => {
  it('reserves every line at the product price, all or nothing', async () => {
    const a = await createTestProduct(prisma, { stock: 5, unitPrice: '3.10' });
    const b = await createTestProduct(prisma, { stock: 2, unitPrice: '7.00' });
    const ok = await stock.reserve(randomUUID(), [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 2 },
    ]);
    expect(ok).toEqual({
      outcome: 'RESERVED',
      lines: [
        { productId: a.id, quantity: 2, unitPrice: '3.10' },
        { productId: b.id, quantity: 2, unitPrice: '7.00' },
      ],
    });
    const short = await stock.reserve(randomUUID(), [
      { productId: a.id, quantity: 1 },
      { productId: b.id, quantity: 1 },
    ]);
    expect(short).toEqual({ outcome: 'REJECTED', reason: 'OUT_OF_STOCK', productIds: [b.id] });
    expect([await stockOf(prisma, a.id), await stockOf(prisma, b.id)]).toEqual([3, 0]);
  });

  it('rejects unknown products without touching the known ones', async () => {
    const a = await createTestProduct(prisma, { stock: 5 });
    const result = await stock.reserve(randomUUID(), [
      { productId: a.id, quantity: 1 },
      { productId: 'NO-SUCH-PRODUCT', quantity: 1 },
    ]);
    expect(result).toEqual({ outcome: 'REJECTED', reason: 'UNKNOWN_PRODUCT', productIds: ['NO-SUCH-PRODUCT'] });
    expect(await stockOf(prisma, a.id)).toBe(5);
  });

  it('is idempotent per order: asking again (even concurrently) reserves nothing more', async () => {
    const a = await createTestProduct(prisma, { stock: 10, unitPrice: '1.00' });
    const orderId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => stock.reserve(orderId, [{ productId: a.id, quantity: 4 }])),
    );
    for (const result of results) expect(result).toEqual({ outcome: 'RESERVED', lines: [{ productId: a.id, quantity: 4, unitPrice: '1.00' }] });
    expect(await stockOf(prisma, a.id)).toBe(6);
  });

  it('never oversells: 40 concurrent orders for stock 15 → 15 reserved, stock 0', async () => {
    const a = await createTestProduct(prisma, { stock: 15 });
    const results = await Promise.all(
      Array.from({ length: 40 }, () => stock.reserve(randomUUID(), [{ productId: a.id, quantity: 1 }])),
    );
    expect(results.filter((r) => r.outcome === 'RESERVED')).toHaveLength(15);
    expect(await stockOf(prisma, a.id)).toBe(0);
  });

  it('the database itself refuses negative stock (CHECK constraint)', async () => {
    const a = await createTestProduct(prisma, { stock: 1 });
    await expect(
      prisma.$executeRaw`UPDATE products SET available_quantity = available_quantity - 2 WHERE id = ${a.id}`,
    ).rejects.toThrow(/products_available_quantity_nonnegative|check constraint/i);
    expect(await stockOf(prisma, a.id)).toBe(1);
  });
});
