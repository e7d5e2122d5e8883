import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { AppInstance, createTestCustomer, createTestProduct, signToken, testPrisma, waitFor } from '@orderline/testing';
import { api, bearer, orderBody, waitForDecision } from './support/api';

/**
 * Issue 12: reads never wait behind writes, and admission control sheds what cannot be decided in
 * time. order-management is paused (SIGSTOP) for a few seconds: the gateways still answer an order
 * accepted during the pause as PENDING within milliseconds (the one that accepted it, and another
 * one), and a gateway whose lag bound is lowered for the test answers new orders 503 with
 * Retry-After until order-management runs again.
 */

const root = path.resolve(__dirname, '../../..');
const prisma = testPrisma();
const run = randomUUID().slice(0, 8);
const logDir = process.env['SYSTEM_LOG_DIR'] ?? path.join(root, 'test-output', 'system');
// a second gateway of its own, with a 1.5 s admission bound (its own peer group: it shares no rate budget)
const strict = new AppInstance('gateway', 20, 3800, {
  logDir,
  env: { ADMISSION_MAX_DECISION_LAG_MS: '1500', GATEWAY_PEERS_GROUP: `e2e-overload-${run}` },
  gatewayPort: 3800,
  echo: false,
});
const strictApi = () => request('http://127.0.0.1:3800');
const mainOf = (app: string) => path.join(root, 'apps', app, 'dist', 'main.js');
/** Every process of this workspace's `app` (node running its main.js), from /proc. */
function pidsOf(app: 'order-management' | 'inventory-service'): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv[0] === process.execPath && argv.includes(mainOf(app));
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}
const orderManagementPids = () => pidsOf('order-management');
const signal = (name: 'SIGSTOP' | 'SIGCONT', app: 'order-management' | 'inventory-service' = 'order-management') => {
  for (const pid of pidsOf(app)) process.kill(pid, name);
};

beforeAll(async () => {
  strict.start();
  await strict.ready();
  expect(orderManagementPids().length).toBeGreaterThan(0);
});

afterAll(async () => {
  signal('SIGCONT');
  signal('SIGCONT', 'inventory-service');
  await strict.stop();
  await prisma.$disconnect();
});

it('while order-management is paused: an accepted order reads PENDING within 100 ms on any gateway; new orders get 503 + Retry-After past the bound, then 202 again', async () => {
  const customer = await createTestCustomer(prisma);
  const token = signToken({ sub: customer, role: 'customer' });
  const product = await createTestProduct(prisma, { stock: 1_000 });
  const body = orderBody([{ productId: product.id, quantity: 1 }]);
  const accepted: string[] = [];
  // the customer's list, read once before the pause: from then on the gateway keeps it current
  const before = (await api().post('/api/v1/orders').set(bearer(token)).send(body).expect(202)).body.id as string;
  await waitForDecision(before, token);
  const listIds = async () =>
    ((await api().get('/api/v1/orders?limit=100').set(bearer(token)).expect(200)).body.items as { id: string }[]).map((o) => o.id);
  expect(await listIds()).toEqual([before]);
  signal('SIGSTOP');
  try {
    const listStarted = performance.now();
    expect(await listIds()).toEqual([before]);
    expect(performance.now() - listStarted).toBeLessThan(100);

    const res = await api().post('/api/v1/orders').set(bearer(token)).send(body);
    expect(res.status).toBe(202);
    accepted.push(res.body.id);

    const started = performance.now();
    const read = await api().get(`/api/v1/orders/${res.body.id}`).set(bearer(token));
    const readMs = performance.now() - started;
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: res.body.id, status: 'PENDING', version: 0, totalAmount: null });
    expect(readMs).toBeLessThan(100);
    // another gateway, which did not accept it: it reads the log up to now, then finds it
    const elsewhere = await strictApi().get(`/api/v1/orders/${res.body.id}`).set(bearer(token));
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.status).toBe('PENDING');
    // someone else's undecided order is not found, like any other
    const other = signToken({ sub: await createTestCustomer(prisma), role: 'customer' });
    expect((await api().get(`/api/v1/orders/${res.body.id}`).set(bearer(other))).status).toBe(404);

    // the decisions fall behind; past 1.5 s the strict gateway sheds new orders
    const shed = await waitFor(
      async () => {
        const attempt = await strictApi().post('/api/v1/orders').set(bearer(token)).send(body);
        if (attempt.status === 202) accepted.push(attempt.body.id);
        return attempt.status === 503 ? attempt : undefined;
      },
      { timeoutMs: 8_000, intervalMs: 100, what: 'the strict gateway to shed new orders' },
    );
    expect(shed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(shed.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(shed.body.detail).toMatch(/behind/);
  } finally {
    signal('SIGCONT');
  }

  // running again: the backlog is decided, and the strict gateway admits new orders again
  await waitFor(
    async () => {
      const attempt = await strictApi().post('/api/v1/orders').set(bearer(token)).send(body);
      if (attempt.status === 202) accepted.push(attempt.body.id);
      return attempt.status === 202 ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: 'the strict gateway to admit orders again' },
  );
  for (const id of accepted) expect((await waitForDecision(id, token)).status).toBe('CONFIRMED');
  // the list this gateway keeps shows them all, decided, newest first (from orders.events)
  await waitFor(async () => ((await listIds()).length === accepted.length + 1 ? true : undefined), {
    what: 'the list to show every order decided after the pause',
  });
  expect((await listIds()).sort()).toEqual([before, ...accepted].sort());
});

it("while inventory-service is paused, customers' catalog reads are answered by the gateway within 100 ms", async () => {
  const token = signToken({ sub: await createTestCustomer(prisma), role: 'customer' });
  const first = await api().get('/api/v1/products?limit=5').set(bearer(token)).expect(200);
  signal('SIGSTOP', 'inventory-service');
  try {
    const started = performance.now();
    const again = await api().get('/api/v1/products?limit=5').set(bearer(token));
    expect(performance.now() - started).toBeLessThan(100);
    expect(again.status).toBe(200);
    expect(again.body.items.map((p: { id: string }) => p.id)).toEqual(first.body.items.map((p: { id: string }) => p.id));
    expect(Number(again.headers['age'])).toBeGreaterThanOrEqual(0);
  } finally {
    signal('SIGCONT', 'inventory-service');
  }
});
