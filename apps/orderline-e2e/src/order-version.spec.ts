import { randomUUID } from 'node:crypto';
import { Partitioners, type Producer } from 'kafkajs';
import { Topics, type Envelope, type Order, type ReplyPayload } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { createKafka, newEnvelope } from '@orderline/messaging';
import { EventCollector, createTestProduct, testPrisma, waitFor } from '@orderline/testing';
import { api, bearer, confirmedOrder, customerToken, newAddress } from './support/api';

/**
 * Orders carry a version: GET sends it as ETag, PATCH/PUT/DELETE honour If-Match (412 on a stale
 * one), and every UpdateOrder names the version it was made against, so a replayed one (e.g. from
 * orders.commands.dlq) older than the order changes nothing.
 */
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const kafka = createKafka({ clientId: 'e2e-order-version', brokers, logger: createLogger('e2e', 'error') });
const prisma = testPrisma();
// the commands the gateway sends (keyed by order id) and the replies to them (keyed by the request's messageId)
const commands = new EventCollector(Topics.orderCommands);
const replies = new EventCollector(Topics.gatewayReplies);
let producer: Producer;

beforeAll(async () => {
  producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([commands.start(), replies.start(), producer.connect()]);
});
afterAll(async () => {
  await Promise.all([commands.stop(), replies.stop(), producer?.disconnect(), prisma.$disconnect()]);
});

const owner = customerToken('CUST22');

async function anOrder(): Promise<Order> {
  const product = await createTestProduct(prisma, { stock: 10 });
  return confirmedOrder(owner, [{ productId: product.id, quantity: 1 }]);
}

const getOrder = (id: string) => api().get(`/api/v1/orders/${id}`).set(bearer(owner));

describe('ETag and If-Match on /api/v1/orders/:id', () => {
  it('GET sends the version as ETag; PATCH with it applies and answers the new ETag; a stale one is 412 and changes nothing', async () => {
    const order = await anOrder();
    const read = await getOrder(order.id);
    expect(read.status).toBe(200);
    expect(read.body.version).toBe(1);
    expect(read.headers['etag']).toBe('"1"');
    expect((await getOrder(order.id).set('if-none-match', '"1"')).status).toBe(304);

    const patched = await api()
      .patch(`/api/v1/orders/${order.id}`)
      .set(bearer(owner))
      .set('if-match', read.headers['etag'] as string)
      .send({ shippingAddress: newAddress });
    expect(patched.status).toBe(200);
    expect(patched.headers['etag']).toBe('"2"');
    expect(patched.body).toMatchObject({ version: 2, shippingAddress: newAddress });

    const stale = await api()
      .put(`/api/v1/orders/${order.id}`)
      .set(bearer(owner))
      .set('if-match', '"1"')
      .send({ shippingAddress: { ...newAddress, city: 'Stale' } });
    expect(stale.status).toBe(412);
    expect(stale.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(stale.body).toMatchObject({ type: '/problems/precondition-failed', status: 412, detail: expect.stringContaining('version 2') });

    const after = await getOrder(order.id);
    expect(after.headers['etag']).toBe('"2"');
    expect(after.body).toEqual(patched.body);
  });

  it('DELETE with a stale If-Match is 412 and the order stays; with the current one it cancels', async () => {
    const order = await anOrder();
    await api().patch(`/api/v1/orders/${order.id}`).set(bearer(owner)).send({ shippingAddress: newAddress }).expect(200);

    const stale = await api().delete(`/api/v1/orders/${order.id}`).set(bearer(owner)).set('if-match', '"1"');
    expect(stale.status).toBe(412);
    expect((await getOrder(order.id)).body).toMatchObject({ status: 'CONFIRMED', version: 2 });

    const cancelled = await api().delete(`/api/v1/orders/${order.id}`).set(bearer(owner)).set('if-match', '"2"');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', version: 3 });
    expect(cancelled.headers['etag']).toBe('"3"');
  });

  it('a malformed If-Match is a 400 naming the header', async () => {
    const order = await anOrder();
    const res = await api()
      .patch(`/api/v1/orders/${order.id}`)
      .set(bearer(owner))
      .set('if-match', '1')
      .send({ shippingAddress: newAddress });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'headers.if-match', message: expect.any(String) }]);
    expect((await getOrder(order.id)).body.version).toBe(1);
  });
});

describe('a replayed UpdateOrder older than the order', () => {
  /** Waits for the replies to a request's messageId (a replayed request keeps it, so it gets a second). */
  const repliesTo = (messageId: string, count: number) =>
    waitFor(() => (replies.received(messageId).length >= count ? replies.received(messageId) : undefined), {
      what: `${count} replies to ${messageId}`,
    });

  it('changes nothing, whether replayed as it was (same messageId) or sent again as a new message', async () => {
    const order = await anOrder();
    const toHamburg = await api().patch(`/api/v1/orders/${order.id}`).set(bearer(owner)).send({ shippingAddress: newAddress });
    expect(toHamburg.body.version).toBe(2);
    const toBremen = await api()
      .patch(`/api/v1/orders/${order.id}`)
      .set(bearer(owner))
      .send({ shippingAddress: { ...newAddress, city: 'Bremen' } });
    expect(toBremen.body).toMatchObject({ version: 3, shippingAddress: { city: 'Bremen' } });

    // the first change as the gateway sent it: made against version 1
    const sent = await waitFor(
      () =>
        commands
          .received(order.id)
          .find(
            (e) => e.type === 'UpdateOrder' && (e.payload as { shippingAddress?: { city: string } }).shippingAddress?.city === 'Hamburg',
          ),
      { what: 'the first UpdateOrder on orders.commands' },
    );
    expect(sent.payload).toMatchObject({ orderId: order.id, expectedVersion: 1 });

    // replayed as the DLQ tool does: the same envelope, to its source topic, keyed by the order id
    const replay = async (envelope: Envelope) =>
      producer.send({ topic: Topics.orderCommands, acks: -1, messages: [{ key: order.id, value: JSON.stringify(envelope) }] });
    await replay(sent);
    const [, replayReply] = await repliesTo(sent.messageId, 2);
    expect(replayReply?.payload).toEqual({
      ok: false,
      error: { code: 'PRECONDITION_FAILED', message: expect.stringContaining('version 3') },
    } satisfies ReplyPayload);

    // the same command in a new envelope (a late duplicate rather than a replay)
    const again = newEnvelope('UpdateOrder', sent.payload, `e2e-version-${randomUUID()}`, { replyTo: Topics.gatewayReplies });
    await replay(again);
    const [againReply] = await repliesTo(again.messageId, 1);
    expect(againReply?.payload).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED' } });

    // both were answered, so both were handled: the order is as the last change left it, and no event was written
    const after = await getOrder(order.id);
    expect(after.body).toEqual(toBremen.body);
    expect(after.headers['etag']).toBe('"3"');
    expect(await prisma.outboxEvent.count({ where: { aggregateId: order.id } })).toBe(3);
  });
});
