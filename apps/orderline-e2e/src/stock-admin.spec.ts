import { randomUUID } from 'node:crypto';
import { Topics, type Envelope, type ManagedProduct, type StockMovement } from '@orderline/contracts';
import { EventCollector, restockThroughApi, waitFor } from '@orderline/testing';
import { adminToken, api, bearer, confirmedOrder, customerToken, orderBody, placeOrder, waitForDecision } from './support/api';

/**
 * Catalog and stock administration end to end (issue 15): the admin API through the gateway,
 * inventory-service's stock log and its inventory.events, with orders placed alongside.
 */
const events = new EventCollector(Topics.inventoryEvents);
beforeAll(() => events.start());
afterAll(() => events.stop());

const admin = bearer(adminToken());
const shopper = customerToken('CUST41');

async function createProduct(availableQuantity: number, extra: Record<string, unknown> = {}): Promise<ManagedProduct> {
  const id = `E-${randomUUID().slice(0, 20)}`;
  const res = await api()
    .post('/api/v1/products')
    .set(admin)
    .send({ id, name: 'E2E product', unitPrice: '5.00', availableQuantity, ...extra });
  expect(res.status).toBe(201);
  return res.body as ManagedProduct;
}

const adjust = (productId: string, body: object, key: string = randomUUID()) =>
  api().post(`/api/v1/products/${productId}/stock-adjustments`).set(admin).set('Idempotency-Key', key).send(body);

async function availableOf(productId: string): Promise<number> {
  const res = await api().get(`/api/v1/products/${productId}`).set(admin).expect(200);
  return res.body.availableQuantity as number;
}

/** The whole stock log through the API, page by page (newest first, as served). */
async function movementsOf(productId: string): Promise<StockMovement[]> {
  const all: StockMovement[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: StockMovement[]; nextCursor: string | null } = (
      await api()
        .get(`/api/v1/products/${productId}/stock-movements`)
        .query({ limit: 7, ...(cursor ? { cursor } : {}) })
        .set(admin)
        .expect(200)
    ).body;
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** The log adds up: oldest first, each quantityAfter is the sum of the deltas up to it, and the last is the stock. */
async function expectLogAddsUp(productId: string): Promise<StockMovement[]> {
  const log = (await movementsOf(productId)).reverse();
  let sum = 0;
  for (const movement of log) {
    sum += movement.delta;
    expect(movement.quantityAfter).toBe(sum);
  }
  expect(sum).toBe(await availableOf(productId));
  return log;
}

const orderOf = (productId: string, quantity: number) => placeOrder(shopper, orderBody([{ productId, quantity }]));

describe('stock administration (admin API, stock log, inventory.events)', () => {
  it('receiving goods lets an order that needed them confirm', async () => {
    const product = await createProduct(1);
    const short = await waitForDecision(await orderOf(product.id, 3));
    expect(short).toMatchObject({ status: 'REJECTED', rejectionReason: 'OUT_OF_STOCK' });

    const received = await adjust(product.id, { delta: 5, reason: 'RECEIVED', reference: 'PO-1' });
    expect(received.status).toBe(201);
    expect(received.body).toMatchObject({
      kind: 'ADJUSTMENT',
      delta: 5,
      quantityAfter: 6,
      reason: 'RECEIVED',
      actor: 'ADMIN01',
      reference: 'PO-1',
    });
    const order = await confirmedOrder(shopper, [{ productId: product.id, quantity: 3 }]);
    expect(order.items).toEqual([{ productId: product.id, quantity: 3, unitPrice: '5.00' }]);
    expect(await availableOf(product.id)).toBe(3);
    const log = await expectLogAddsUp(product.id);
    expect(log.map((m) => [m.kind, m.delta, m.orderId])).toEqual([
      ['CREATED', 1, null],
      ['ADJUSTMENT', 5, null],
      ['RESERVATION', -3, order.id],
    ]);
  });

  it('a write-off below zero is 409 naming the available quantity, and nothing changes', async () => {
    const product = await createProduct(4);
    const res = await adjust(product.id, { delta: -5, reason: 'DAMAGED' });
    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toContain('only 4 available');
    expect(await availableOf(product.id)).toBe(4);
    expect((await movementsOf(product.id)).map((m) => m.kind)).toEqual(['CREATED']);
    // exactly the available quantity can go
    expect((await adjust(product.id, { delta: -4, reason: 'DAMAGED' })).status).toBe(201);
    expect(await availableOf(product.id)).toBe(0);
  });

  it('the same adjustment with the same Idempotency-Key twice (and concurrently) is applied once', async () => {
    const product = await createProduct(0);
    const body = { delta: 7, reason: 'RETURNED', reference: 'RMA-9' };
    const first = await adjust(product.id, body, 'delivery-42');
    const again = await Promise.all([adjust(product.id, body, 'delivery-42'), adjust(product.id, body, 'delivery-42')]);
    expect(first.status).toBe(201);
    for (const res of again) expect(res.body).toEqual(first.body);
    expect(await availableOf(product.id)).toBe(7);
    expect((await movementsOf(product.id)).filter((m) => m.kind === 'ADJUSTMENT')).toHaveLength(1);
    expect((await adjust(product.id, { ...body, delta: 8 }, 'delivery-42')).status).toBe(422);
  });

  it('concurrent adjustments and orders on one product: the movement log adds up exactly to the stock', async () => {
    const product = await createProduct(20);
    const [orderIds, adjustments] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => orderOf(product.id, 2))),
      Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          adjust(product.id, i % 2 ? { delta: 3, reason: 'RECEIVED' } : { delta: -1, reason: 'COUNT_CORRECTION' }),
        ),
      ),
    ]);
    // a write-off may meet an empty shelf (409, nothing changed): only the applied ones are in the log
    expect(adjustments.every((res) => res.status === 201 || res.status === 409)).toBe(true);
    const applied = adjustments.filter((res) => res.status === 201).length;
    const decided = await Promise.all(orderIds.map((id) => waitForDecision(id)));
    // cancel a few confirmed ones: their releases are in the log too
    const confirmed = decided.filter((o) => o.status === 'CONFIRMED');
    expect(confirmed.length).toBeGreaterThan(0);
    await Promise.all(confirmed.slice(0, 3).map((o) => api().delete(`/api/v1/orders/${o.id}`).set(bearer(shopper)).expect(200)));
    await waitFor(
      async () => (await movementsOf(product.id)).filter((m) => m.kind === 'RELEASE').length === Math.min(3, confirmed.length),
      {
        what: 'the releases in the log',
      },
    );

    const log = await expectLogAddsUp(product.id);
    expect(log.filter((m) => m.kind === 'ADJUSTMENT')).toHaveLength(applied);
    expect(
      log
        .filter((m) => m.kind === 'RESERVATION')
        .map((m) => m.orderId)
        .sort(),
    ).toEqual(confirmed.map((o) => o.id).sort());
    expect(
      log
        .filter((m) => m.kind === 'RELEASE')
        .map((m) => m.orderId)
        .sort(),
    ).toEqual(
      confirmed
        .slice(0, 3)
        .map((o) => o.id)
        .sort(),
    );
  });

  it('a customer calling any admin route gets 403 and changes nothing', async () => {
    const product = await createProduct(3);
    const customer = bearer(customerToken('CUST41'));
    const calls = [
      api()
        .post('/api/v1/products')
        .set(customer)
        .send({ id: `E-${randomUUID().slice(0, 8)}`, name: 'x', unitPrice: '1.00', availableQuantity: 1 }),
      api().patch(`/api/v1/products/${product.id}`).set(customer).send({ unitPrice: '0.01' }),
      api()
        .post(`/api/v1/products/${product.id}/stock-adjustments`)
        .set(customer)
        .set('Idempotency-Key', 'k')
        .send({ delta: 5, reason: 'RECEIVED' }),
      api().get(`/api/v1/products/${product.id}/stock-movements`).set(customer),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ type: '/problems/forbidden', status: 403 });
    }
    expect(await api().get(`/api/v1/products/${product.id}`).set(admin)).toMatchObject({
      body: { unitPrice: '5.00', availableQuantity: 3 },
    });
  });

  it('an inactive product: new orders are REJECTED UNKNOWN_PRODUCT, customers no longer see it, existing orders keep it', async () => {
    const product = await createProduct(10);
    const before = await confirmedOrder(shopper, [{ productId: product.id, quantity: 1 }]);
    const res = await api().patch(`/api/v1/products/${product.id}`).set(admin).send({ active: false });
    expect(res.body).toMatchObject({ id: product.id, active: false });
    const after = await waitForDecision(await orderOf(product.id, 1));
    expect(after).toMatchObject({ status: 'REJECTED', rejectionReason: 'UNKNOWN_PRODUCT' });
    expect((await api().get(`/api/v1/products/${product.id}`).set(bearer(shopper))).status).toBe(404);
    expect((await api().get(`/api/v1/products/${product.id}`).set(admin)).body).toMatchObject({ active: false });
    expect((await api().get(`/api/v1/orders/${before.id}`).set(bearer(shopper))).body).toMatchObject({
      status: 'CONFIRMED',
      items: [{ productId: product.id, quantity: 1, unitPrice: '5.00' }],
    });
    expect(await availableOf(product.id)).toBe(9);
  });

  it('a price change never touches existing orders and applies to the orders decided after it, under concurrency', async () => {
    const product = await createProduct(500);
    const early = await confirmedOrder(shopper, [{ productId: product.id, quantity: 1 }]);
    const racing = Array.from({ length: 15 }, () => orderOf(product.id, 1));
    const change = await api().patch(`/api/v1/products/${product.id}`).set(admin).send({ unitPrice: '7.25' });
    expect(change.status).toBe(200);
    const late = await Promise.all(Array.from({ length: 5 }, () => orderOf(product.id, 1)));
    const racers = await Promise.all((await Promise.all(racing)).map((id) => waitForDecision(id)));
    const lateOrders = await Promise.all(late.map((id) => waitForDecision(id)));

    expect((await api().get(`/api/v1/orders/${early.id}`).set(bearer(shopper))).body).toMatchObject({ totalAmount: '5.00' });
    for (const order of lateOrders)
      expect(order).toMatchObject({ status: 'CONFIRMED', items: [{ unitPrice: '7.25' }], totalAmount: '7.25' });
    for (const order of racers) expect(['5.00', '7.25']).toContain(order.items[0].unitPrice);
    // in the order the stock was taken, the price switches once
    const log = await movementsOf(product.id);
    const priceOf = new Map([early, ...racers, ...lateOrders].map((o) => [o.id, o.items[0].unitPrice]));
    const prices = log
      .reverse()
      .filter((m) => m.kind === 'RESERVATION')
      .map((m) => priceOf.get(m.orderId as string));
    expect(prices).toHaveLength(21);
    expect(prices).toEqual([...prices].sort());
  });

  it('events read from inventory.events match the log', async () => {
    const product = await createProduct(12, { lowStockThreshold: 5 });
    await api().patch(`/api/v1/products/${product.id}`).set(admin).send({ name: 'Renamed' }).expect(200);
    await adjust(product.id, { delta: 3, reason: 'RECEIVED' }).expect(201);
    await confirmedOrder(shopper, [{ productId: product.id, quantity: 4 }]); // 11
    await adjust(product.id, { delta: -6, reason: 'DAMAGED', reference: 'broken pallet' }).expect(201); // 5: low

    const log = await expectLogAddsUp(product.id);
    await waitFor(() => events.received(product.id).length >= 5, { what: 'the product events' });
    const received = events.received(product.id) as Envelope<Record<string, unknown>>[];
    expect(received.map((e) => e.type)).toEqual(['ProductCreated', 'ProductUpdated', 'StockAdjusted', 'StockAdjusted', 'LowStock']);
    expect(received[0].payload).toEqual({ product: { ...product }, actor: 'ADMIN01' });
    expect(received[1].payload).toMatchObject({ product: { name: 'Renamed' }, changed: ['name'] });
    expect(received.filter((e) => e.type === 'StockAdjusted').map((e) => e.payload['movement'])).toEqual(
      log.filter((m) => m.kind === 'ADJUSTMENT'),
    );
    expect(received[4].payload).toEqual({ productId: product.id, availableQuantity: 5, threshold: 5 });
    expect(new Set(received.map((e) => e.messageId)).size).toBe(5);
  });

  it("the benchmark's restock goes through the API: short products get a RECEIVED adjustment up to the target, once", async () => {
    const [short, stocked] = [await createProduct(3), await createProduct(80)];
    const runId = randomUUID().slice(0, 8);
    const restock = () =>
      restockThroughApi({ gatewayUrl: process.env['GATEWAY_URL'] as string, productIds: [short.id, stocked.id], atLeast: 50, runId });
    expect(await restock()).toBe(1);
    expect(await restock()).toBe(0);
    expect([await availableOf(short.id), await availableOf(stocked.id)]).toEqual([50, 80]);
    const log = await expectLogAddsUp(short.id);
    expect(log.at(-1)).toMatchObject({
      kind: 'ADJUSTMENT',
      delta: 47,
      reason: 'RECEIVED',
      actor: 'RESTOCK',
      reference: `restock ${runId}`,
    });
    await expect(
      restockThroughApi({ gatewayUrl: process.env['GATEWAY_URL'] as string, productIds: ['NO-SUCH-PRODUCT'], atLeast: 1, runId }),
    ).rejects.toThrow(/no product NO-SUCH-PRODUCT/);
  });
});
