import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Topics, ConsumerGroups } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { Publisher, createKafka } from '@orderline/messaging';
import {
  createTestCustomer,
  createTestProduct,
  parsePrometheus,
  sumOf,
  samplesOf,
  testPrisma,
  waitFor,
  type Sample,
} from '@orderline/testing';
import { api, bearer, customerToken, orderBody, placeOrder, waitForDecision } from './support/api';

/**
 * Every app serves Prometheus /metrics; after a few orders (and one poison message) the counters
 * the runbook tells operators to watch have moved. Figures are summed over all instances of an
 * app (E2E_INSTANCES=2 spreads the work), and compared with a scrape taken before, so orders of
 * other test files do not matter.
 */

type AppName = 'gateway' | 'order-management' | 'customer-service' | 'inventory-service';
const targets = JSON.parse(process.env['SYSTEM_METRICS_URLS'] ?? '[]') as { app: AppName; url: string }[];
const prisma = testPrisma();
const kafka = createKafka({
  clientId: 'e2e-metrics',
  brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
  logger: createLogger('e2e', 'error'),
});
const publisher = new Publisher(kafka);
/** The Node major the project runs on (.nvmrc; scripts/runtime/node.sh brings it where the machine has another) */
const nodeMajor = readFileSync(path.join(__dirname, '..', '..', '..', '.nvmrc'), 'utf8').trim();

beforeAll(() => publisher.connect());
afterAll(async () => {
  await publisher.disconnect();
  await prisma.$disconnect();
});

/** Scrapes every instance of `app` and returns all their samples together. */
async function scrape(app: AppName): Promise<Sample[]> {
  const urls = targets.filter((target) => target.app === app).map((target) => target.url);
  expect(urls.length).toBeGreaterThan(0);
  const texts = await Promise.all(
    urls.map(async (url) => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return res.text();
    }),
  );
  return texts.flatMap(parsePrometheus);
}

describe('Prometheus /metrics', () => {
  it('every app serves Node process metrics labelled with its service name, every instance on the Node of .nvmrc', async () => {
    for (const app of ['gateway', 'order-management', 'customer-service', 'inventory-service'] as const) {
      const samples = await scrape(app);
      // one series per instance from its main thread (order-management's and inventory's reads threads add their own, labelled thread="reads")
      const versions = samplesOf(samples, 'nodejs_version_info', { service: app }).filter(
        (sample) => sample.labels['thread'] === undefined,
      );
      expect(versions).toHaveLength(targets.filter((target) => target.app === app).length);
      for (const version of versions) {
        expect(version.labels).toMatchObject({ major: nodeMajor, version: expect.stringMatching(/^v\d+\.\d+\.\d+$/) });
      }
      expect(samplesOf(samples, 'process_resident_memory_bytes', { service: app }).length).toBeGreaterThan(0);
      expect(samplesOf(samples, 'nodejs_eventloop_lag_p99_seconds', { service: app }).length).toBeGreaterThan(0);
    }
    // reads run in a thread of their own at the process's priority (the gateway's: however the suite was started),
    // the write path's thread at WRITE_PATH_NICE (5 in this suite, global-setup.ts), or lower still if the process started lower
    const gatewayNiceness = samplesOf(await scrape('gateway'), 'orderline_thread_niceness', { service: 'gateway' }).map((s) => s.value);
    expect(gatewayNiceness.length).toBeGreaterThan(0);
    const base = gatewayNiceness[0];
    for (const app of ['order-management', 'inventory-service'] as const) {
      const samples = await scrape(app);
      const instances = targets.filter((target) => target.app === app).length;
      const niceness = samplesOf(samples, 'orderline_thread_niceness', { service: app });
      expect(niceness.filter((sample) => sample.labels['thread'] === 'reads').map((sample) => sample.value)).toEqual(
        Array(instances).fill(base),
      );
      expect(niceness.filter((sample) => sample.labels['thread'] === undefined).map((sample) => sample.value)).toEqual(
        Array(instances).fill(Math.max(base, 5)),
      );
      const queries = app === 'order-management' ? ConsumerGroups.orderManagementQueries : ConsumerGroups.inventoryServiceQueries;
      const lag = samplesOf(samples, 'orderline_kafka_consumer_lag', { service: app, group: queries });
      expect(lag.length).toBeGreaterThan(0);
      expect(lag.every((sample) => sample.labels['thread'] === 'reads')).toBe(true);
    }
    // declared even before the first one happens (a counter with no sample yet still has its TYPE line)
    const gatewayText = await (await fetch(targets.find((target) => target.app === 'gateway')?.url ?? '')).text();
    expect(gatewayText).toContain('# TYPE orderline_request_timeouts_total counter');
    expect(gatewayText).toContain('# TYPE http_request_duration_seconds histogram');
  });

  it('counts requests, final statuses (confirmed, rejected with reason, cancelled), accept→final latency and dead letters after a few orders', async () => {
    const product = await createTestProduct(prisma, { stock: 100 });
    const blocked = await createTestCustomer(prisma, { blocked: true });
    const [gatewayBefore, ordersBefore] = await Promise.all([scrape('gateway'), scrape('order-management')]);
    const posts = { method: 'POST', route: '/api/v1/orders', status: '202' };

    const confirmed = await Promise.all(
      [1, 2, 3].map(() => placeOrder(customerToken('CUST01'), orderBody([{ productId: product.id, quantity: 1 }]))),
    );
    const rejected = await placeOrder(customerToken(blocked), orderBody([{ productId: product.id, quantity: 1 }]));
    for (const id of confirmed) expect((await waitForDecision(id)).status).toBe('CONFIRMED');
    expect((await waitForDecision(rejected)).rejectionReason).toBe('CUSTOMER_BLOCKED');
    expect(
      (
        await api()
          .delete(`/api/v1/orders/${confirmed[0]}`)
          .set(bearer(customerToken('CUST01')))
      ).status,
    ).toBe(200);
    const notFound = await api()
      .get(`/api/v1/orders/${randomUUID()}`)
      .set(bearer(customerToken('CUST01')));
    expect(notFound.status).toBe(404);
    // a message order-management cannot read: dead-lettered, counted
    await publisher.sendRaw([{ topic: Topics.orderCommands, key: `metrics-${randomUUID()}`, value: 'not an envelope' }]);

    const moved = (before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);

    const gateway = await scrape('gateway');
    expect(moved(gatewayBefore, gateway, 'http_request_duration_seconds_count', posts)).toBeGreaterThanOrEqual(4);
    expect(moved(gatewayBefore, gateway, 'http_request_duration_seconds_bucket', { ...posts, le: '+Inf' })).toBeGreaterThanOrEqual(4);
    expect(
      moved(gatewayBefore, gateway, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/orders/:id', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    // raw paths never become labels
    expect(samplesOf(gateway, 'http_request_duration_seconds_count').every((s) => !/[0-9a-f]{8}-[0-9a-f]{4}/.test(s.labels['route']))).toBe(
      true,
    );

    // the dead letter is counted once order-management has moved it, so wait for that
    const orders = await waitFor(
      async () => {
        const samples = await scrape('order-management');
        return moved(ordersBefore, samples, 'orderline_dead_lettered_messages_total', { topic: Topics.orderCommands }) >= 1 && samples;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'order-management to count the dead-lettered command' },
    );
    expect(moved(ordersBefore, orders, 'orderline_orders_final_total', { status: 'CONFIRMED' })).toBeGreaterThanOrEqual(3);
    expect(
      moved(ordersBefore, orders, 'orderline_orders_final_total', { status: 'REJECTED', reason: 'CUSTOMER_BLOCKED' }),
    ).toBeGreaterThanOrEqual(1);
    expect(moved(ordersBefore, orders, 'orderline_orders_final_total', { status: 'CANCELLED' })).toBeGreaterThanOrEqual(1);
    expect(moved(ordersBefore, orders, 'orderline_order_accept_to_final_seconds_count')).toBeGreaterThanOrEqual(4);
    expect(moved(ordersBefore, orders, 'orderline_order_accept_to_final_seconds_sum')).toBeGreaterThan(0);

    // lag of order-management's group on every partition of its command topic, and the outbox backlog
    const lag = samplesOf(orders, 'orderline_kafka_consumer_lag', { group: ConsumerGroups.orderManagement, topic: Topics.orderCommands });
    expect(new Set(lag.map((s) => s.labels['partition'])).size).toBe(12);
    expect(lag.every((s) => s.value >= 0)).toBe(true);
    const backlog = samplesOf(orders, 'orderline_outbox_backlog');
    expect(backlog.length).toBeGreaterThan(0);
    expect(backlog.every((s) => s.value >= 0)).toBe(true);
  });

  it('customer-service and inventory-service report the lag of their request topics on every partition', async () => {
    const partitionsReported = async (app: AppName, group: string, topic: string) =>
      new Set(samplesOf(await scrape(app), 'orderline_kafka_consumer_lag', { group, topic }).map((s) => s.labels['partition'])).size;
    expect(await partitionsReported('customer-service', ConsumerGroups.customerService, Topics.customerRequests)).toBe(6);
    expect(await partitionsReported('inventory-service', ConsumerGroups.inventoryService, Topics.inventoryRequests)).toBe(12);
  });
});
