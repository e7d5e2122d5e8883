import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes } from 'kafkajs';
import { Headers, Topics, deadLetterTopic, type Order } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { Publisher, createKafka, newEnvelope } from '@orderline/messaging';
import { createTestCustomer, createTestProduct, signToken, stockOf, testPrisma, waitFor } from '@orderline/testing';
import { api, bearer, orderBody, placeOrder, waitForDecision } from './support/api';
import { TopicReader } from './support/topic-reader';

/**
 * Issue 11: no message and no client can stall the system. A customer's oversized data, a request
 * naming a reply topic that does not exist, a CreateOrder the database refuses, a request the
 * broker refuses as too large: each is refused, paged or dead-lettered with its reason, the order
 * it belongs to (if any) ends final, stock is conserved, and another customer's orders keep being
 * decided within seconds throughout.
 */

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const kafka = createKafka({ clientId: 'e2e-no-stall', brokers, logger: createLogger('e2e', 'error') });
const publisher = new Publisher(kafka);
const prisma = testPrisma();
const run = randomUUID().slice(0, 8);
const dlqReader = new TopicReader(kafka, [deadLetterTopic(Topics.orderCommands)], true, 'no-stall-dlq');

beforeAll(async () => {
  await publisher.connect();
  await dlqReader.start();
});

afterAll(async () => {
  await Promise.all([dlqReader.stop(), publisher.disconnect()]);
  await prisma.$disconnect();
});

/**
 * Another customer places an ordinary order every 250 ms while `during` runs; each must be decided
 * within `withinMs`. Returns how long the slowest took.
 */
async function bystanderDecidedThroughout(during: () => Promise<void>, withinMs = 10_000): Promise<number> {
  const customer = await createTestCustomer(prisma);
  const token = signToken({ sub: customer, role: 'customer' });
  const product = await createTestProduct(prisma, { stock: 10_000 });
  const decisions: Promise<number>[] = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      const started = Date.now();
      const id = await placeOrder(token, orderBody([{ productId: product.id, quantity: 1 }]));
      decisions.push(
        waitForDecision(id, token, withinMs).then((order) => {
          expect(order.status).toBe('CONFIRMED');
          return Date.now() - started;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  try {
    await during();
  } finally {
    running = false;
    await probing;
  }
  const took = await Promise.all(decisions);
  expect(took.length).toBeGreaterThan(0);
  return Math.max(...took);
}

/** Every page of a customer's orders, following nextCursor; asserts each reply is a 200. */
async function allPages(token: string): Promise<{ pages: Order[][]; bytes: number[] }> {
  const pages: Order[][] = [];
  const bytes: number[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; text: string; body: { items: Order[]; nextCursor: string | null } } = await api()
      .get('/api/v1/orders')
      .query({ limit: 100, ...(cursor ? { cursor } : {}) })
      .set(bearer(token));
    expect(res.status).toBe(200);
    pages.push(res.body.items);
    bytes.push(Buffer.byteLength(res.text));
    cursor = res.body.nextCursor;
  } while (cursor && pages.length < 100);
  return { pages, bytes };
}

describe('no message and no client can stall the system', () => {
  it("an attacker's 100-line orders with 32-character CJK ids and maximal CJK addresses: all decided, listed in pages cut by bytes, the bystander unaffected", async () => {
    const attacker = await createTestCustomer(prisma);
    const token = signToken({ sub: attacker, role: 'customer' });
    const cjk = (n: number, i: number) => `${'注'.repeat(n - String(i).length)}${i}`;
    const body = (i: number) => ({
      items: Array.from({ length: 100 }, (_, line) => ({ productId: cjk(32, i * 100 + line), quantity: 100 })),
      shippingAddress: { line1: cjk(200, i), line2: cjk(200, i), city: cjk(100, i), postalCode: cjk(20, i), country: 'DE' },
    });
    const ids: string[] = [];
    const slowest = await bystanderDecidedThroughout(async () => {
      // all at once: they land in the same decision batches, so one ReserveStock would carry them all
      ids.push(...(await Promise.all(Array.from({ length: 80 }, (_, i) => placeOrder(token, body(i))))));
      for (const id of ids) expect((await waitForDecision(id, token, 30_000)).rejectionReason).toBe('UNKNOWN_PRODUCT');
      const { pages, bytes } = await allPages(token);
      const listed = pages.flat().map((order) => order.id);
      expect([...listed].sort()).toEqual([...ids].sort()); // every order once: nothing skipped or repeated
      expect(pages.length).toBeGreaterThan(1); // ~1.2 MB of orders: the 100-limit page was cut by size
      for (const size of bytes) expect(size).toBeLessThan(1_000_000);
    });
    expect(slowest).toBeLessThan(10_000);
  });

  it('the same attack with control characters is refused at the edge, naming the fields', async () => {
    const attacker = await createTestCustomer(prisma);
    const token = signToken({ sub: attacker, role: 'customer' });
    const control = '\u0001'.repeat(26);
    const res = await api()
      .post('/api/v1/orders')
      .set(bearer(token))
      .send({
        items: Array.from({ length: 100 }, (_, i) => ({ productId: `${control}${String(i).padStart(6, '0')}`, quantity: 1 })),
        shippingAddress: { line1: '\u0001'.repeat(200), city: '\u0001'.repeat(100), postalCode: '10115', country: 'DE' },
      });
    expect(res.status).toBe(400);
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.items.0.productId', 'body.shippingAddress.line1', 'body.shippingAddress.city']));
  });

  it('a request naming replyTo "no-such-topic" is dead-lettered with its reason, and orders keep flowing', async () => {
    const marker = `no-such-reply-${run}`;
    const slowest = await bystanderDecidedThroughout(async () => {
      const envelope = newEnvelope('GetOrder', { orderId: randomUUID(), caller: { customerId: 'CUST01', role: 'admin' } }, marker, {
        replyTo: 'no-such-topic',
      });
      await publisher.publish({ topic: Topics.orderCommands, key: randomUUID(), envelope });
      const letter = await dlqReader.waitFor((m) => m.headers[Headers.correlationId] === marker, 'the dead letter');
      expect(letter.headers[Headers.error]).toMatch(/replyTo "no-such-topic" is not one of the system's reply topics/);
    });
    expect(slowest).toBeLessThan(10_000);
  });

  it('a CreateOrder the database refuses ends REJECTED / PROCESSING_FAILED, dead-lettered with its reason, its reservation released', async () => {
    const product = await createTestProduct(prisma, { stock: 50 });
    // a real refusal: the database rejects every line item naming this product (a CHECK would say the same)
    await prisma.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION e2e_refuse_${run}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'e2e refuses lines of ${product.id}' USING ERRCODE = 'check_violation'; END $$`);
    await prisma.$executeRawUnsafe(`
      CREATE TRIGGER e2e_refuse_${run} BEFORE INSERT ON order_line_items FOR EACH ROW
      WHEN (NEW.product_id = '${product.id}') EXECUTE FUNCTION e2e_refuse_${run}()`);
    try {
      const customer = await createTestCustomer(prisma);
      const token = signToken({ sub: customer, role: 'customer' });
      const id = await placeOrder(token, orderBody([{ productId: product.id, quantity: 7 }]));
      const order = await waitForDecision(id, token, 30_000);
      expect(order).toMatchObject({ status: 'REJECTED', rejectionReason: 'PROCESSING_FAILED' });
      const letter = await dlqReader.waitFor((m) => m.key === id, 'the dead letter of the refused order');
      expect(letter.headers[Headers.error]).toMatch(/e2e refuses lines/);
      // with an Idempotency-Key the client waits for the order to be stored: it gets its 202 (not a 500)
      const keyed = await api()
        .post('/api/v1/orders')
        .set(bearer(token))
        .set('idempotency-key', `refused-${run}`)
        .send(orderBody([{ productId: product.id, quantity: 3 }]));
      expect(keyed.status).toBe(202);
      expect(await waitForDecision(keyed.body.id, token, 30_000)).toMatchObject({
        status: 'REJECTED',
        rejectionReason: 'PROCESSING_FAILED',
      });
      // the stock they had reserved comes back (a ReleaseReservations command through the outbox)
      await waitFor(async () => ((await stockOf(prisma, product.id)) === 50 ? true : undefined), { what: 'the stock to come back' });
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS e2e_refuse_${run} ON order_line_items`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION IF EXISTS e2e_refuse_${run}()`);
    }
  });

  it('a ReserveStock the broker refuses as too large ends the order REJECTED / PROCESSING_FAILED, stock untouched, at once', async () => {
    const products = await Promise.all(Array.from({ length: 40 }, () => createTestProduct(prisma, { stock: 10 })));
    const admin = kafka.admin();
    await admin.connect();
    const setLimit = (value: string) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: Topics.inventoryRequests, configEntries: [{ name: 'max.message.bytes', value }] },
        ],
      });
    // a limit far below ours: one 40-line reservation (~2.5 kB) is over it, a small one still fits
    await setLimit('2000');
    try {
      const customer = await createTestCustomer(prisma);
      const token = signToken({ sub: customer, role: 'customer' });
      const started = Date.now();
      const id = await placeOrder(token, orderBody(products.map((p) => ({ productId: p.id, quantity: 1 }))));
      const order = await waitForDecision(id, token, 30_000);
      expect(order).toMatchObject({ status: 'REJECTED', rejectionReason: 'PROCESSING_FAILED' });
      expect(Date.now() - started).toBeLessThan(15_000); // permanent at once, not retried as an outage
      const letter = await dlqReader.waitFor((m) => m.key === id, 'the dead letter of the order');
      expect(letter.headers[Headers.error]).toMatch(/PublishRefusedError/);
    } finally {
      await setLimit('1048588');
      await admin.disconnect();
    }
    for (const product of products) expect(await stockOf(prisma, product.id)).toBe(10);
  });
});
