import type { Order } from '@orderline/contracts';
import { createTestCustomer, createTestProduct, signToken, testPrisma } from '@orderline/testing';
import { adminToken, api, bearer, orderBody, placeOrder, waitForDecision } from './support/api';

const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

/** Places orders and returns their ids newest first (by the time order-management stored them). */
async function ordersFor(customerId: string, count: number, productId: string): Promise<string[]> {
  const token = signToken({ sub: customerId, role: 'customer' });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await placeOrder(token, orderBody([{ productId, quantity: 1 }])));
  const orders = await Promise.all(ids.map((id) => waitForDecision(id)));
  return orders
    .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1))
    .map((o) => o.id);
}

async function listAll(token: string, query: string): Promise<Order[]> {
  const all: Order[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: Order[]; nextCursor: string | null } } = await api()
      .get(`/api/v1/orders?${query}${cursor ? `&cursor=${cursor}` : ''}`)
      .set(bearer(token));
    expect(res.status).toBe(200);
    all.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return all;
}

describe('GET /api/v1/orders', () => {
  let alice: string;
  let bob: string;
  let aliceIds: string[];
  let bobIds: string[];

  beforeAll(async () => {
    const product = await createTestProduct(prisma, { stock: 1_000 });
    [alice, bob] = [await createTestCustomer(prisma), await createTestCustomer(prisma)];
    aliceIds = await ordersFor(alice, 5, product.id);
    bobIds = await ordersFor(bob, 2, product.id);
  });

  it('a customer sees only their own orders, newest first, page by page', async () => {
    const token = signToken({ sub: alice, role: 'customer' });
    const orders = await listAll(token, 'limit=2');
    expect(orders.map((o) => o.id)).toEqual(aliceIds);
    expect(new Set(orders.map((o) => o.customerId))).toEqual(new Set([alice]));
    expect(orders[0]).toMatchObject({ status: 'CONFIRMED', items: [expect.objectContaining({ unitPrice: '10.00' })] });
  });

  it('an admin sees everyone, or one customer with customerId=', async () => {
    const bobs = await listAll(adminToken(), `customerId=${bob}&limit=100`);
    expect(bobs.map((o) => o.id)).toEqual(bobIds);
    const everyone = await api().get('/api/v1/orders?limit=100').set(bearer(adminToken()));
    expect(everyone.status).toBe(200);
    expect(everyone.body.items.length).toBeGreaterThanOrEqual(7);
    const dates = everyone.body.items.map((o: Order) => o.createdAt);
    expect([...dates].sort().reverse()).toEqual(dates);
  });

  it('filters by status', async () => {
    const token = signToken({ sub: alice, role: 'customer' });
    await api().delete(`/api/v1/orders/${aliceIds[1]}`).set(bearer(token)).expect(200);
    const cancelled = await listAll(token, 'status=CANCELLED');
    expect(cancelled.map((o) => o.id)).toEqual([aliceIds[1]]);
    const confirmed = await listAll(token, 'status=CONFIRMED');
    expect(confirmed).toHaveLength(4);
  });

  it('stays stable while orders are added between pages: no order skipped or repeated', async () => {
    const token = signToken({ sub: alice, role: 'customer' });
    const first = await api().get('/api/v1/orders?limit=2').set(bearer(token));
    const product = await createTestProduct(prisma, { stock: 10 });
    const added = await ordersFor(alice, 2, product.id);
    let cursor = first.body.nextCursor as string | null;
    const rest: Order[] = [];
    while (cursor) {
      const page = await api().get(`/api/v1/orders?limit=2&cursor=${cursor}`).set(bearer(token));
      rest.push(...page.body.items);
      cursor = page.body.nextCursor;
    }
    const seen = [...first.body.items, ...rest].map((o: Order) => o.id);
    expect(seen).toEqual(aliceIds);
    expect(seen).not.toEqual(expect.arrayContaining(added));
  });

  it("a customer asking for another customer's orders → 403", async () => {
    const res = await api()
      .get(`/api/v1/orders?customerId=${bob}`)
      .set(bearer(signToken({ sub: alice, role: 'customer' })));
    expect(res.status).toBe(403);
  });

  it.each(['limit=0', 'limit=101', 'status=LOST', 'cursor=not-a-cursor', 'sort=asc'])('%s → 400', async (query) => {
    const res = await api().get(`/api/v1/orders?${query}`).set(bearer(adminToken()));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
