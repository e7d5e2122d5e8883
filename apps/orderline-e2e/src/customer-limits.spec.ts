import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  AppInstance,
  createTestCustomer,
  createTestProduct,
  parsePrometheus,
  samplesOf,
  signToken,
  testPrisma,
  validAddress,
  waitFor,
} from '@orderline/testing';
import { api, bearer, orderBody } from './support/api';

/**
 * Per-customer limits through the running system: the token bucket on order requests (the
 * gateway's defaults, 100/s with bursts of 200), the cap on one product in one order, and the
 * limit shared by two gateway instances (each enforces its half, counted through Kafka).
 */
const prisma = testPrisma();
let productId: string;

beforeAll(async () => {
  productId = (await createTestProduct(prisma, { stock: 10_000_000, unitPrice: '1.00', name: 'Limits product' })).id;
});
afterAll(() => prisma.$disconnect());

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

async function postOrder(baseUrl: string, token: string, quantity = 1): Promise<Answer> {
  const res = await fetch(`${baseUrl}/api/v1/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ productId, quantity }], shippingAddress: validAddress }),
  });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const gatewayUrl = () => process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:3100';

/** the number of gateways a gateway counts in its peer group (from its /metrics) */
async function peersSeenBy(baseUrl: string, group?: string): Promise<number | undefined> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return samplesOf(parsePrometheus(text), 'orderline_peer_group_members', group ? { group } : {})[0]?.value;
}

describe('the rate limit on order requests (defaults: 100/s per customer, bursts of 200)', () => {
  it('a customer hammering with 64 connections gets 429s while another placing 2 orders/s gets 202 for all of them', async () => {
    // with E2E_INSTANCES=2 this gateway enforces half the limit (the suite sends everything to it)
    const gateways = await waitFor(() => peersSeenBy(gatewayUrl()), { what: 'the gateway to count its peers' });
    const hammer = signToken({ sub: await createTestCustomer(prisma), role: 'customer' });
    const calm = signToken({ sub: await createTestCustomer(prisma), role: 'customer' });
    const started = Date.now();
    const end = started + 4_000;
    const hammered: Answer[] = [];
    const connection = async () => {
      while (Date.now() < end) hammered.push(await postOrder(gatewayUrl(), hammer));
    };
    // 2 orders a second for as long as the hammering lasts
    const steady = async () => {
      const answers: Answer[] = [];
      for (let i = 0; i < 8; i++) {
        answers.push(await postOrder(gatewayUrl(), calm));
        await sleep(started + (i + 1) * 500 - Date.now());
      }
      return answers;
    };
    const [calmAnswers] = await Promise.all([steady(), ...Array.from({ length: 64 }, connection)]);
    const elapsedSec = (Date.now() - started) / 1000;

    expect(calmAnswers.map((a) => a.status)).toEqual(Array(8).fill(202));
    const accepted = hammered.filter((a) => a.status === 202);
    const refused = hammered.filter((a) => a.status === 429);
    expect(accepted.length + refused.length).toBe(hammered.length);
    expect(refused.length).toBeGreaterThan(0);
    // the burst, then 100/s (a little slack for requests accepted while the clock was read)
    expect(accepted.length).toBeGreaterThanOrEqual(Math.floor(200 / gateways));
    expect(accepted.length).toBeLessThanOrEqual((200 + Math.ceil(100 * elapsedSec)) / gateways + 5);

    for (const answer of [accepted[0], calmAnswers[0]]) {
      expect(answer.headers.get('ratelimit-policy')).toBe('"orders";q=200;w=2');
      expect(answer.headers.get('ratelimit')).toMatch(/^"orders";r=\d+;t=\d+$/);
    }
    const tooMany = refused[0];
    expect(tooMany.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(tooMany.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(tooMany.headers.get('ratelimit-policy')).toBe('"orders";q=200;w=2');
    expect(tooMany.headers.get('ratelimit')).toBe(`"orders";r=0;t=${tooMany.headers.get('retry-after')}`);
    expect(JSON.parse(tooMany.body)).toMatchObject({ type: '/problems/too-many-requests', status: 429, correlationId: expect.any(String) });
  }, 60_000);
});

describe('the cap on one product in one order (default 100 units)', () => {
  it('refuses a line over it with 422 naming the line, and takes a line at it', async () => {
    const token = signToken({ sub: await createTestCustomer(prisma), role: 'customer' });
    const over = await api()
      .post('/api/v1/orders')
      .set(bearer(token))
      .send(
        orderBody([
          { productId, quantity: 1 },
          { productId: `${productId}-B`, quantity: 101 },
        ]),
      );
    expect(over.status).toBe(422);
    expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(over.body).toMatchObject({
      type: '/problems/order-limit-exceeded',
      status: 422,
      errors: [{ path: 'body.items.1.quantity', message: expect.stringContaining('100') }],
    });
    expect((await postOrder(gatewayUrl(), token, 100)).status).toBe(202);
  });
});

describe('two gateway instances share one per-customer limit', () => {
  // a deployment of its own: two extra gateways (ports 3700, 3710) in a peer group of their own,
  // in front of the suite's order-management; limit 1/s with bursts of 10 over both together
  const group = `e2e-peers-${randomUUID().slice(0, 8)}`;
  const env = {
    ORDER_RATE_LIMIT_PER_SECOND: '1',
    ORDER_RATE_LIMIT_BURST: '10',
    GATEWAY_PEERS_GROUP: group,
    GATEWAY_PEERS_REFRESH_MS: '300',
    LOG_LEVEL: 'info',
  };
  const logDir = process.env['SYSTEM_LOG_DIR'] ?? path.resolve(__dirname, '../../../test-output/system');
  const gateways = [0, 1].map(
    (i) => new AppInstance('gateway', 10 + i, 3700 + 10 * i, { logDir, env, gatewayPort: 3700 + 10 * i, echo: false }),
  );
  const urlOf = (gateway: AppInstance) => `http://127.0.0.1:${gateway.port}`;

  const untilPeers = (gateway: AppInstance, count: number) =>
    waitFor(async () => (await peersSeenBy(urlOf(gateway), group)) === count, {
      timeoutMs: 45_000,
      intervalMs: 200,
      what: `${gateway.name} to count ${count} gateway(s)`,
    });

  /** statuses of `n` order requests sent one after the other */
  const statuses = async (gateway: AppInstance, token: string, n: number) => {
    const answers: Answer[] = [];
    for (let i = 0; i < n; i++) answers.push(await postOrder(urlOf(gateway), token));
    return answers;
  };

  beforeAll(async () => {
    for (const gateway of gateways) gateway.start();
    await Promise.all(gateways.map((gateway) => gateway.ready()));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  });

  it('each allows its half (the budget adds up to the limit over both); one left alone allows all of it', async () => {
    const [a, b] = gateways;
    await Promise.all([untilPeers(a, 2), untilPeers(b, 2)]);

    const token = signToken({ sub: await createTestCustomer(prisma), role: 'customer' });
    const started = Date.now();
    const onA = await statuses(a, token, 8);
    const onB = await statuses(b, token, 8);
    // 5 a gateway (bursts of 10 ÷ 2), refilling at 0.5/s: at most what refilled meanwhile comes on top
    const refilled = Math.floor(((Date.now() - started) / 1000) * 0.5);
    for (const answers of [onA, onB]) {
      expect(answers.slice(0, 5).map((r) => r.status)).toEqual(Array(5).fill(202));
      expect(answers.filter((r) => r.status === 202).length).toBeLessThanOrEqual(5 + refilled);
      expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(Math.max(0, 3 - refilled));
    }
    // the headers speak for the whole system: the policy is the limit, what is left is this gateway's share × 2
    expect(onA[0].headers.get('ratelimit-policy')).toBe('"orders";q=10;w=10');
    expect(onA[0].headers.get('ratelimit')).toBe('"orders";r=8;t=2');
    expect(onA.find((r) => r.status === 429)?.headers.get('retry-after') ?? '2').toBe('2');

    // one gateway gone: the other counts 1 and allows the whole limit
    await b.stop();
    await untilPeers(a, 1);
    const other = signToken({ sub: await createTestCustomer(prisma), role: 'customer' });
    const aloneStarted = Date.now();
    const alone = await statuses(a, other, 12);
    const refilledAlone = Math.floor((Date.now() - aloneStarted) / 1000); // 1/s
    expect(alone.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(202));
    expect(alone.filter((r) => r.status === 202).length).toBeLessThanOrEqual(10 + refilledAlone);
    expect(alone.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(Math.max(0, 2 - refilledAlone));
    expect(alone[0].headers.get('ratelimit')).toBe('"orders";r=9;t=1');
  }, 120_000);
});
