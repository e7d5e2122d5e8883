import { randomBytes, randomUUID } from 'node:crypto';
import { CreateOrder, Topics } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { Publisher, createKafka, newEnvelope } from '@orderline/messaging';
import { createTestProduct, startOtlpSink, testPrisma, validAddress, waitFor, type OtlpSink, type SinkSpan } from '@orderline/testing';
import { api, bearer, customerToken, orderBody, waitForDecision } from './support/api';

/**
 * The apps run with OTEL_EXPORTER_OTLP_ENDPOINT pointing at this in-memory collector (global-setup.ts);
 * each order is sent with a `traceparent` of the test's own, so its trace is known in advance.
 */
const prisma = testPrisma();
const publisher = new Publisher(createKafka({ clientId: 'e2e-traces', brokers: ['127.0.0.1:9092'], logger: createLogger('e2e', 'error') }));
let sink: OtlpSink;
beforeAll(async () => {
  sink = await startOtlpSink(Number(process.env['SYSTEM_OTLP_PORT'] ?? 3199));
  await publisher.connect();
});
afterAll(async () => {
  await sink.close();
  await publisher.disconnect();
  await prisma.$disconnect();
});

const newTrace = () => ({ traceId: randomBytes(16).toString('hex'), clientSpanId: randomBytes(8).toString('hex') });

/** Places an order in a trace of the test's own; resolves with its id once it is CONFIRMED. */
async function placeTracedOrder({ traceId, clientSpanId }: ReturnType<typeof newTrace>, productId: string): Promise<string> {
  sink.watch(traceId);
  const res = await api()
    .post('/api/v1/orders')
    .set(bearer(customerToken('CUST01')))
    .set('traceparent', `00-${traceId}-${clientSpanId}-01`)
    .send(orderBody([{ productId, quantity: 1 }]));
  expect(res.status).toBe(202);
  expect((await waitForDecision(res.body.id)).status).toBe('CONFIRMED');
  return res.body.id;
}

const one = (spans: SinkSpan[], what: string, match: (span: SinkSpan) => boolean): SinkSpan => {
  const found = spans.filter(match);
  if (found.length !== 1)
    throw new Error(`expected one ${what}, found ${found.length} in ${JSON.stringify(spans.map((s) => `${s.service} ${s.name}`))}`);
  return found[0];
};
const isRelayPublish = (span: SinkSpan) =>
  span.service === 'order-management' && span.kind === 'producer' && span.attributes['orderline.outbox.table'] === 'outbox_events';
/** the span of one message's handling (not a batch's) */
const consumesFrom = (service: string, topic: string) => (span: SinkSpan) =>
  span.service === service && span.kind === 'consumer' && span.name === `process ${topic}`;

describe('traces', () => {
  it('one trace covers an order from the gateway through order-management, customer-service and inventory-service to the outbox relay', async () => {
    const product = await createTestProduct(prisma, { stock: 10, unitPrice: '5.00' });
    const trace = newTrace();
    const orderId = await placeTracedOrder(trace, product.id);

    // everything up to the event's publish, and the notification-service's read of it
    const spans = await waitFor(
      () => {
        const found = sink.spans(trace.traceId);
        const services = new Set(found.map((span) => span.service));
        const complete =
          ['gateway', 'order-management', 'customer-service', 'inventory-service', 'notification-service'].every((s) => services.has(s)) &&
          found.some(isRelayPublish);
        return complete ? found : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: `the spans of order ${orderId}` },
    );
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([trace.traceId]));

    // gateway: the HTTP request continues the client's trace; the command it sends is its child
    const request = one(spans, 'HTTP span', (s) => s.service === 'gateway' && s.kind === 'server');
    expect(request).toMatchObject({ name: 'POST /api/v1/orders', parentSpanId: trace.clientSpanId });
    expect(request.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/v1/orders',
      'http.response.status_code': 202,
    });
    const command = one(spans, 'command send', (s) => s.service === 'gateway' && s.kind === 'producer');
    expect(command).toMatchObject({ name: `send ${Topics.orderCommands}`, parentSpanId: request.spanId });
    expect(command.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': Topics.orderCommands });

    // order-management handles the command as a child of its send
    const handled = one(spans, 'command consume', consumesFrom('order-management', Topics.orderCommands));
    expect(handled.parentSpanId).toBe(command.spanId);
    const omSpans = new Map(spans.filter((s) => s.service === 'order-management').map((s) => [s.spanId, s]));
    /** whether `span` descends from order-management's handling of the command */
    const underHandling = (span: SinkSpan): boolean => {
      for (let parent = omSpans.get(span.parentSpanId); parent; parent = omSpans.get(parent.parentSpanId)) {
        if (parent.spanId === handled.spanId) return true;
      }
      return false;
    };

    // customer-service and inventory-service answer requests sent from within that handling
    for (const [service, topic] of [
      ['customer-service', Topics.customerRequests],
      ['inventory-service', Topics.inventoryRequests],
    ]) {
      const consumed = one(spans, `${service} consume`, consumesFrom(service, topic));
      const send = spans.find((s) => s.spanId === consumed.parentSpanId);
      expect(send).toMatchObject({ service: 'order-management', kind: 'producer', name: `send ${topic}` });
      expect(underHandling(send as SinkSpan)).toBe(true);
      const reply = spans.find((s) => s.service === service && s.kind === 'producer' && s.parentSpanId === consumed.spanId);
      expect(reply?.attributes['messaging.destination.name']).toBe(Topics.orderManagementReplies);
    }
    // inventory's reservation is a database transaction within its handling
    const reserving = one(spans, 'inventory consume', consumesFrom('inventory-service', Topics.inventoryRequests));
    expect(
      spans.some((s) => s.service === 'inventory-service' && s.name === 'postgresql transaction' && s.parentSpanId === reserving.spanId),
    ).toBe(true);
    // the decision is stored in a transaction within the handling
    expect([...omSpans.values()].some((s) => s.name === 'postgresql transaction' && underHandling(s))).toBe(true);

    // the outbox relay's publish of the order's event continues the order's trace from its row
    const event = one(spans, 'relay publish', isRelayPublish);
    expect(event).toMatchObject({ name: `send ${Topics.orderEvents}`, parentSpanId: handled.spanId });
    expect(event.attributes).toMatchObject({ 'messaging.destination.name': Topics.orderEvents, 'messaging.kafka.message.key': orderId });
    // and whoever reads the event continues it further
    expect(spans.some((s) => s.service === 'notification-service' && s.kind === 'consumer' && s.parentSpanId === event.spanId)).toBe(true);
    expect(spans.filter((s) => s.statusCode === 2)).toEqual([]);
  });

  it('orders decided in one batch keep traces of their own; the batch is in the first one’s, linked to each', async () => {
    const product = await createTestProduct(prisma, { stock: 10, unitPrice: '5.00' });
    const traces = Array.from({ length: 3 }, newTrace);
    const orderIds = traces.map(() => randomUUID());
    for (const { traceId } of traces) sink.watch(traceId);
    // three CreateOrders in one produce request to one partition (one key): one fetch, one decision batch
    await publisher.publish(
      ...traces.map(({ traceId, clientSpanId }, i) => ({
        topic: Topics.orderCommands,
        key: orderIds[0],
        envelope: newEnvelope(
          CreateOrder,
          { orderId: orderIds[i], customerId: 'CUST01', items: [{ productId: product.id, quantity: 1 }], shippingAddress: validAddress },
          `traces-${orderIds[i]}`,
        ),
        headers: { traceparent: `00-${traceId}-${clientSpanId}-01` },
      })),
    );
    for (const orderId of orderIds) expect((await waitForDecision(orderId)).status).toBe('CONFIRMED');

    // each order: its command's handling continues its sender's span, and its event's publish continues that
    const handled = await Promise.all(
      traces.map(async ({ traceId, clientSpanId }, i) => {
        const spans = await waitFor(() => (sink.spans(traceId).some(isRelayPublish) ? sink.spans(traceId) : undefined), {
          timeoutMs: 15_000,
          intervalMs: 100,
          what: `the relay's span in the trace of order ${orderIds[i]}`,
        });
        const consumed = one(spans, 'command consume', consumesFrom('order-management', Topics.orderCommands));
        expect(consumed.parentSpanId).toBe(clientSpanId);
        expect(one(spans, 'relay publish', isRelayPublish)).toMatchObject({
          parentSpanId: consumed.spanId,
          attributes: expect.objectContaining({ 'messaging.kafka.message.key': orderIds[i] }),
        });
        return consumed;
      }),
    );
    // the batch: in the first order's trace, linked to every order's; the shared requests are under it
    const firstTrace = sink.spans(traces[0].traceId);
    const batch = one(firstTrace, 'decision batch', (s) => s.name === 'process CreateOrder batch');
    expect(batch).toMatchObject({ service: 'order-management', kind: 'consumer', parentSpanId: handled[0].spanId });
    expect(batch.attributes['messaging.batch.message_count']).toBe(3);
    expect(batch.links).toEqual(handled.map(({ traceId, spanId }) => ({ traceId, spanId })));
    const requests = firstTrace.filter((s) => s.service === 'order-management' && s.kind === 'client' && s.name.startsWith('request '));
    expect(requests.map((s) => s.name).sort()).toEqual(['request GetCustomers', 'request ReserveStock']);
    for (const request of requests) expect(request.parentSpanId).toBe(batch.spanId);
    for (const trace of traces.slice(1)) expect(sink.spans(trace.traceId).filter((s) => s.name.startsWith('request '))).toEqual([]);
  });
});
