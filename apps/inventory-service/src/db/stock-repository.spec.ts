import { randomUUID } from 'node:crypto';
import { createTestProduct, stockOf, testPrisma } from '@orderline/testing';
import { StockRepository } from './stock-repository';

/** Against the real Postgres (npm run infra:up): the SQL is what is under test. */
const prisma = testPrisma();
const stock = new StockRepository(prisma, { lowStockThreshold: 10 });
afterAll(() => prisma.$disconnect());

const one = async (orderId: string, items: { productId: string; quantity: number }[]) => (await stock.reserve([{ orderId, items }]))[0];

describe('StockRepository.reserve', () => {
  it('reserves every line at the product price, all or nothing per order', async () => {
    const a = await createTestProduct(prisma, { stock: 5, unitPrice: '3.10' });
    const b = await createTestProduct(prisma, { stock: 2, unitPrice: '7.00' });
    const first = randomUUID();
    expect(
      await one(first, [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 2 },
      ]),
    ).toEqual({
      orderId: first,
      outcome: 'RESERVED',
      lines: [
        { productId: a.id, quantity: 2, unitPrice: '3.10' },
        { productId: b.id, quantity: 2, unitPrice: '7.00' },
      ],
    });
    const second = randomUUID();
    expect(
      await one(second, [
        { productId: a.id, quantity: 1 },
        { productId: b.id, quantity: 1 },
      ]),
    ).toEqual({
      orderId: second,
      outcome: 'REJECTED',
      reason: 'OUT_OF_STOCK',
      productIds: [b.id],
    });
    expect([await stockOf(prisma, a.id), await stockOf(prisma, b.id)]).toEqual([3, 0]);
  });

  it('decides a batch in order: earlier orders get scarce stock, a rejected order takes nothing', async () => {
    const a = await createTestProduct(prisma, { stock: 5 });
    const b = await createTestProduct(prisma, { stock: 1 });
    const ids = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const results = await stock.reserve([
      { orderId: ids[0], items: [{ productId: a.id, quantity: 2 }] },
      {
        orderId: ids[1],
        items: [
          { productId: a.id, quantity: 2 },
          { productId: b.id, quantity: 2 },
        ],
      },
      { orderId: ids[2], items: [{ productId: a.id, quantity: 3 }] },
      {
        orderId: ids[3],
        items: [
          { productId: a.id, quantity: 1 },
          { productId: 'NO-SUCH-PRODUCT', quantity: 1 },
        ],
      },
    ]);
    expect(results.map((r) => [r.orderId, r.outcome, r.outcome === 'REJECTED' ? r.reason : ''])).toEqual([
      [ids[0], 'RESERVED', ''],
      [ids[1], 'REJECTED', 'OUT_OF_STOCK'],
      [ids[2], 'RESERVED', ''],
      [ids[3], 'REJECTED', 'UNKNOWN_PRODUCT'],
    ]);
    expect([await stockOf(prisma, a.id), await stockOf(prisma, b.id)]).toEqual([0, 1]);
  });

  it('is idempotent per order: asking again (even concurrently) reserves nothing more', async () => {
    const a = await createTestProduct(prisma, { stock: 10, unitPrice: '1.00' });
    const orderId = randomUUID();
    const results = await Promise.all(Array.from({ length: 5 }, () => one(orderId, [{ productId: a.id, quantity: 4 }])));
    for (const result of results) {
      expect(result).toEqual({ orderId, outcome: 'RESERVED', lines: [{ productId: a.id, quantity: 4, unitPrice: '1.00' }] });
    }
    expect(await stockOf(prisma, a.id)).toBe(6);
  });

  it('never oversells: 40 concurrent orders for stock 15 → 15 reserved, stock 0', async () => {
    const a = await createTestProduct(prisma, { stock: 15 });
    const results = await Promise.all(Array.from({ length: 40 }, () => one(randomUUID(), [{ productId: a.id, quantity: 1 }])));
    expect(results.filter((r) => r.outcome === 'RESERVED')).toHaveLength(15);
    expect(await stockOf(prisma, a.id)).toBe(0);
  });

  it('releases exactly once', async () => {
    const a = await createTestProduct(prisma, { stock: 10 });
    const orderId = randomUUID();
    await one(orderId, [{ productId: a.id, quantity: 7 }]);
    const releases = await Promise.all([stock.release(orderId), stock.release(orderId), stock.release(orderId)]);
    expect(releases.map((r) => r.released.length).sort()).toEqual([0, 0, 1]);
    expect(await stockOf(prisma, a.id)).toBe(10);
  });

  it('answers a replay naming other items RESERVATION_MISMATCH and reserves nothing more', async () => {
    const a = await createTestProduct(prisma, { stock: 10 });
    const b = await createTestProduct(prisma, { stock: 10 });
    const orderId = randomUUID();
    await one(orderId, [{ productId: a.id, quantity: 2 }]);
    for (const items of [
      [{ productId: a.id, quantity: 3 }],
      [{ productId: b.id, quantity: 2 }],
      [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 1 },
      ],
    ]) {
      expect(await one(orderId, items)).toMatchObject({ orderId, outcome: 'REJECTED', reason: 'RESERVATION_MISMATCH' });
    }
    expect(await one(orderId, [{ productId: a.id, quantity: 2 }])).toMatchObject({ outcome: 'RESERVED' });
    expect([await stockOf(prisma, a.id), await stockOf(prisma, b.id)]).toEqual([8, 10]);
  });

  it('releases many orders at once, each exactly once, and ignores orders with nothing reserved', async () => {
    const a = await createTestProduct(prisma, { stock: 10 });
    const b = await createTestProduct(prisma, { stock: 10 });
    const [x, y] = [randomUUID(), randomUUID()];
    await stock.reserve([
      {
        orderId: x,
        items: [
          { productId: a.id, quantity: 3 },
          { productId: b.id, quantity: 1 },
        ],
      },
      { orderId: y, items: [{ productId: a.id, quantity: 4 }] },
    ]);
    const released = await Promise.all([stock.releaseAll([x, y, randomUUID()]), stock.releaseAll([y, x])]);
    expect(released.flat().sort((p, q) => p.productId.localeCompare(q.productId))).toEqual(
      [
        { productId: a.id, quantity: 7 },
        { productId: b.id, quantity: 1 },
      ].sort((p, q) => p.productId.localeCompare(q.productId)),
    );
    expect([await stockOf(prisma, a.id), await stockOf(prisma, b.id)]).toEqual([10, 10]);
  });

  it('the database itself refuses negative stock (CHECK constraint)', async () => {
    const a = await createTestProduct(prisma, { stock: 1 });
    await expect(prisma.$executeRaw`UPDATE products SET available_quantity = available_quantity - 2 WHERE id = ${a.id}`).rejects.toThrow(
      /products_available_quantity_nonnegative|check constraint/i,
    );
    expect(await stockOf(prisma, a.id)).toBe(1);
  });
});
