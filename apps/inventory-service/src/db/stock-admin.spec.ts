import { randomUUID } from 'node:crypto';
import { MAX_STOCK_QUANTITY } from '@orderline/contracts';
import { poolOf } from '@orderline/db';
import { createTestProduct, stockOf, testPrisma } from '@orderline/testing';
import { ProductRepository } from './product-repository';
import { StockLogRepository, type AdjustmentRequest } from './stock-log-repository';
import { StockRepository } from './stock-repository';

/** Against the real Postgres (npm run infra:up): catalog admin, adjustments and the stock log, as inventory-service runs them. */
const prisma = testPrisma();
const pool = poolOf(prisma);
let wakes = 0;
const options = { lowStockThreshold: 10, eventsCommitted: () => wakes++ };
const products = new ProductRepository(prisma, options);
const stockLog = new StockLogRepository(prisma, options);
const stock = new StockRepository(prisma, options);
afterAll(() => prisma.$disconnect());

const adjustment = (productId: string, delta: number, extra: Partial<AdjustmentRequest> = {}): AdjustmentRequest => ({
  productId,
  delta,
  reason: delta > 0 ? 'RECEIVED' : 'DAMAGED',
  actor: 'ADMIN01',
  idempotencyKey: randomUUID(),
  ...extra,
});

/** Every row of a product's log, oldest first. */
async function logOf(productId: string) {
  const { rows } = await pool.query<{ kind: string; delta: number; quantity_after: number; order_id: string | null }>(
    `SELECT kind, delta, quantity_after, order_id::text AS order_id FROM stock_movements WHERE product_id = $1 ORDER BY id`,
    [productId],
  );
  return rows;
}

/** The log adds up: its deltas sum to the stock, and each row's quantity_after is the sum up to it. */
async function expectLogAddsUp(productId: string) {
  const log = await logOf(productId);
  let sum = 0;
  for (const row of log) {
    sum += row.delta;
    expect(row.quantity_after).toBe(sum);
  }
  expect(sum).toBe(await stockOf(prisma, productId));
  return log;
}

async function eventsOf(productId: string) {
  const { rows } = await pool.query<{ type: string; payload: { payload: Record<string, unknown> }; topic: string }>(
    `SELECT type, payload, headers->>'topic' AS topic FROM inventory_outbox_events WHERE aggregate_id = $1 ORDER BY id`,
    [productId],
  );
  return rows;
}

const newId = () => `T-${randomUUID().slice(0, 23)}`;

describe('ProductRepository (admin)', () => {
  it('creates a product with its CREATED log row and ProductCreated; the same id again changes nothing', async () => {
    const id = newId();
    const created = await products.create(
      { id, name: 'Kettle', description: '', unitPrice: '12.50', availableQuantity: 7 },
      'ADMIN01',
      'corr-1',
    );
    expect(created).toEqual({
      id,
      name: 'Kettle',
      description: '',
      unitPrice: '12.50',
      availableQuantity: 7,
      active: true,
      lowStockThreshold: 10,
    });
    expect(
      await products.create({ id, name: 'Other', description: '', unitPrice: '1.00', availableQuantity: 1 }, 'ADMIN01', 'c'),
    ).toBeNull();
    expect(await expectLogAddsUp(id)).toEqual([{ kind: 'CREATED', delta: 7, quantity_after: 7, order_id: null }]);
    const events = await eventsOf(id);
    expect(events.map((e) => [e.type, e.topic])).toEqual([['ProductCreated', 'inventory.events']]);
    expect(events[0].payload).toMatchObject({
      type: 'ProductCreated',
      correlationId: 'corr-1',
      payload: { product: created, actor: 'ADMIN01' },
    });
  });

  it('changes only the fields named, with ProductUpdated; null for no such product', async () => {
    const { id } = await createTestProduct(prisma, { stock: 5, unitPrice: '2.00' });
    const updated = await products.update(id, { unitPrice: '2.50', lowStockThreshold: 3 }, 'ADMIN01', 'corr-2');
    expect(updated).toMatchObject({
      id,
      unitPrice: '2.50',
      lowStockThreshold: 3,
      name: 'Test product',
      active: true,
      availableQuantity: 5,
    });
    expect(await products.update(id, { lowStockThreshold: null }, 'ADMIN01', 'c')).toMatchObject({ lowStockThreshold: 10 });
    expect(await products.update('NO-SUCH-PRODUCT', { name: 'x' }, 'ADMIN01', 'c')).toBeNull();
    expect((await eventsOf(id)).map((e) => e.payload.payload['changed'])).toEqual([
      ['unitPrice', 'lowStockThreshold'],
      ['lowStockThreshold'],
    ]);
  });

  it('hides an inactive product from customers (list and one), admins see it; new orders get UNKNOWN_PRODUCT, a replay keeps its reservation', async () => {
    const { id } = await createTestProduct(prisma, { stock: 5 });
    const held = randomUUID();
    await stock.reserve([{ orderId: held, items: [{ productId: id, quantity: 1 }] }]);
    await products.update(id, { active: false }, 'ADMIN01', 'c');
    expect(await products.findById(id)).toBeNull();
    expect(await products.findById(id, { includeInactive: true })).toMatchObject({ id, active: false });
    const before = id.slice(0, -1); // the page starting just before the product
    expect((await products.list(1, before)).items.map((p) => p.id)).not.toContain(id);
    expect((await products.list(1, before, undefined, { includeInactive: true })).items.map((p) => p.id)).toEqual([id]);
    const [fresh, replay] = await stock.reserve([
      { orderId: randomUUID(), items: [{ productId: id, quantity: 1 }] },
      { orderId: held, items: [{ productId: id, quantity: 1 }] },
    ]);
    expect(fresh).toMatchObject({ outcome: 'REJECTED', reason: 'UNKNOWN_PRODUCT', productIds: [id] });
    expect(replay).toMatchObject({ outcome: 'RESERVED' });
    expect(await stockOf(prisma, id)).toBe(4);
  });
});

describe('StockLogRepository.adjust', () => {
  it('receives and writes off, logging who, why and the reference, with StockAdjusted', async () => {
    const { id } = await createTestProduct(prisma, { stock: 20 });
    const received = await stockLog.adjust(adjustment(id, 5, { reference: 'PO-7' }), 'corr-3');
    expect(received).toEqual({
      outcome: 'APPLIED',
      movement: expect.objectContaining({
        productId: id,
        kind: 'ADJUSTMENT',
        delta: 5,
        quantityAfter: 25,
        reason: 'RECEIVED',
        actor: 'ADMIN01',
        reference: 'PO-7',
        orderId: null,
      }),
    });
    expect(await stockLog.adjust(adjustment(id, -25, { reason: 'COUNT_CORRECTION' }), 'c')).toMatchObject({
      outcome: 'APPLIED',
      movement: { quantityAfter: 0 },
    });
    await expectLogAddsUp(id);
    const events = await eventsOf(id);
    expect(events.filter((e) => e.type === 'StockAdjusted').map((e) => e.payload.payload['movement'])).toEqual([
      received?.outcome === 'APPLIED' && received.movement,
      expect.objectContaining({ delta: -25, quantityAfter: 0 }),
    ]);
  });

  it('never goes below zero or above the maximum: nothing changes and the available quantity is named', async () => {
    const { id } = await createTestProduct(prisma, { stock: 3 });
    expect(await stockLog.adjust(adjustment(id, -4), 'c')).toEqual({ outcome: 'INSUFFICIENT_STOCK', availableQuantity: 3 });
    expect(await stockLog.adjust(adjustment(id, MAX_STOCK_QUANTITY - 2), 'c')).toEqual({ outcome: 'OVER_MAXIMUM', availableQuantity: 3 });
    expect(await stockLog.adjust(adjustment(id, MAX_STOCK_QUANTITY - 3), 'c')).toMatchObject({ outcome: 'APPLIED' });
    expect(await stockLog.adjust(adjustment('NO-SUCH-PRODUCT', 1), 'c')).toBeNull();
    expect((await logOf(id)).map((r) => r.delta)).toEqual([3, MAX_STOCK_QUANTITY - 3]);
  });

  it('applies one Idempotency-Key once, even sent concurrently; the key with another adjustment is KEY_REUSED', async () => {
    const { id } = await createTestProduct(prisma, { stock: 0 });
    const request = adjustment(id, 4, { idempotencyKey: 'delivery-1' });
    const answers = await Promise.all(Array.from({ length: 6 }, () => stockLog.adjust(request, 'c')));
    const movementIds = new Set(answers.map((a) => (a?.outcome === 'APPLIED' ? a.movement.id : 'not applied')));
    expect(movementIds.size).toBe(1);
    expect(await stockOf(prisma, id)).toBe(4);
    expect(await stockLog.adjust({ ...request, delta: 5 }, 'c')).toEqual({ outcome: 'KEY_REUSED' });
    // the key is per product
    const other = await createTestProduct(prisma, { stock: 0 });
    expect(await stockLog.adjust({ ...request, productId: other.id }, 'c')).toMatchObject({ outcome: 'APPLIED' });
  });

  it('publishes LowStock once when the stock falls to the threshold (adjustment or reservation), not while it stays low', async () => {
    const { id } = await createTestProduct(prisma, { stock: 12 });
    await stockLog.adjust(adjustment(id, -1), 'c'); // 11
    await stock.reserve([{ orderId: randomUUID(), items: [{ productId: id, quantity: 2 }] }]); // 9: falls
    await stockLog.adjust(adjustment(id, -1), 'c'); // 8: stays low
    await stockLog.adjust(adjustment(id, 10), 'c'); // 18
    await stockLog.adjust(adjustment(id, -8), 'c'); // 10: falls
    const lows = (await eventsOf(id)).filter((e) => e.type === 'LowStock').map((e) => e.payload.payload);
    expect(lows).toEqual([
      { productId: id, availableQuantity: 9, threshold: 10 },
      { productId: id, availableQuantity: 10, threshold: 10 },
    ]);
  });
});

describe('the stock log under concurrency', () => {
  it('concurrent adjustments, reservations and releases on one product: the log adds up exactly to the stock', async () => {
    const { id } = await createTestProduct(prisma, { stock: 30 });
    const orderIds = Array.from({ length: 30 }, () => randomUUID());
    await Promise.all([
      ...orderIds.map((orderId) => stock.reserve([{ orderId, items: [{ productId: id, quantity: 2 }] }])),
      ...Array.from({ length: 10 }, (_, i) => stockLog.adjust(adjustment(id, i % 2 ? 3 : -2), 'c')),
      ...orderIds.slice(0, 10).map((orderId) => stock.releaseAll([orderId])),
      stock.releaseAll(orderIds.slice(20)),
    ]);
    await stock.releaseAll(orderIds.slice(10, 15));
    const log = await expectLogAddsUp(id);
    const { rows } = await pool.query<{ reserved: number }>(
      `SELECT coalesce(sum(quantity), 0)::int AS reserved FROM stock_reservations WHERE product_id = $1 AND status = 'RESERVED'`,
      [id],
    );
    // every reservation and release is in the log once, with its order
    const reservedInLog = log.filter((r) => r.kind === 'RESERVATION').reduce((sum, r) => sum - r.delta, 0);
    const releasedInLog = log.filter((r) => r.kind === 'RELEASE').reduce((sum, r) => sum + r.delta, 0);
    expect(reservedInLog - releasedInLog).toBe(rows[0].reserved);
    expect(log.filter((r) => r.kind !== 'CREATED' && r.kind !== 'ADJUSTMENT').every((r) => r.order_id !== null)).toBe(true);
  });

  it('a price change applies to the reservations that lock the product after it, never to earlier ones', async () => {
    const { id } = await createTestProduct(prisma, { stock: 1_000, unitPrice: '1.00' });
    const reserveOne = () => stock.reserve([{ orderId: randomUUID(), items: [{ productId: id, quantity: 1 }] }]).then(([r]) => r);
    const early = await Promise.all(Array.from({ length: 5 }, reserveOne));
    const racing = [...Array.from({ length: 20 }, reserveOne)];
    const change = products.update(id, { unitPrice: '2.00' }, 'ADMIN01', 'c');
    racing.push(...Array.from({ length: 20 }, reserveOne));
    await Promise.all([change, ...racing]);
    const late = await Promise.all(Array.from({ length: 5 }, reserveOne));
    const priceOf = (r: Awaited<ReturnType<typeof reserveOne>>) => (r.outcome === 'RESERVED' ? r.lines[0].unitPrice : 'rejected');
    expect(early.map(priceOf)).toEqual(Array(5).fill('1.00'));
    expect(late.map(priceOf)).toEqual(Array(5).fill('2.00'));
    // in the order the stock was taken (the log), the price switches once: 1.00 … 1.00, 2.00 … 2.00
    const { rows } = await pool.query<{ unit_price: string }>(
      `SELECT r.unit_price::text AS unit_price FROM stock_movements m
       JOIN stock_reservations r ON r.order_id = m.order_id AND r.product_id = m.product_id
       WHERE m.product_id = $1 AND m.kind = 'RESERVATION' ORDER BY m.id`,
      [id],
    );
    const prices = rows.map((r) => r.unit_price);
    expect(prices).toHaveLength(50);
    expect(prices).toEqual([...prices].sort());
    expect(wakes).toBeGreaterThan(0);
  });
});

describe('StockLogRepository.movements', () => {
  it('pages the log newest first with the quantity after each; null for no such product', async () => {
    const { id } = await createTestProduct(prisma, { stock: 1 });
    for (let i = 0; i < 4; i++) await stockLog.adjust(adjustment(id, 1), 'c');
    const first = await stockLog.movements(id, 3);
    expect(first?.items.map((m) => m.quantityAfter)).toEqual([5, 4, 3]);
    const second = await stockLog.movements(id, 3, first?.nextCursor ?? undefined);
    expect(second?.items.map((m) => [m.kind, m.quantityAfter])).toEqual([
      ['ADJUSTMENT', 2],
      ['CREATED', 1],
    ]);
    expect(second?.nextCursor).toBeNull();
    expect(await stockLog.movements('NO-SUCH-PRODUCT', 3)).toBeNull();
  });
});
