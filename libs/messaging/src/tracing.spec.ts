import type { Kafka, ProducerBatch } from 'kafkajs';
import { z } from 'zod';
import { Headers, defineMessage, type Envelope, type OutboxRow } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { startTracing, type Tracing } from '@orderline/tracing';
import type { Delivery } from './dead-letter';
import { MessageDispatcher, traceOfMessage } from './dispatcher';
import { newEnvelope } from './envelope';
import { startOutboxRelay } from './outbox-relay';
import { Publisher } from './publisher';
import { onMessage, onMessages } from './routes';

/**
 * Trace context through a hop, without a broker: a delivery with a `traceparent` in, what its
 * handler publishes out (through a Publisher whose producer only records), with tracing on and off.
 */
type Exporter = NonNullable<Parameters<typeof startTracing>[0]['exporter']>;
type FinishedSpan = Parameters<Exporter['export']>[0][number];

const Note = defineMessage({ type: 'Note', topic: 'test.notes', payload: z.object({ n: z.int() }) });
const Echo = defineMessage({ type: 'Echo', topic: 'test.echoes', payload: z.object({ n: z.int() }) });
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const traceparent = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;
const logger = createLogger('test', 'error');

/** A Publisher over a producer that keeps what it is asked to send. */
function recordingPublisher() {
  const sent: { topic: string; headers: Record<string, string> }[] = [];
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    sendBatch: async ({ topicMessages }: ProducerBatch) => {
      for (const { topic, messages } of topicMessages ?? []) {
        for (const message of messages) {
          sent.push({ topic, headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) });
        }
      }
      return [];
    },
  };
  return { sent, publisher: new Publisher({ producer: () => producer } as unknown as Kafka) };
}

function delivery(envelope: Envelope, headers: Record<string, string> = {}, offset = 0): Delivery {
  return {
    topic: Note.topic,
    partition: 0,
    message: { key: null, value: Buffer.from(JSON.stringify(envelope)), headers, offset: String(offset) },
  };
}

/** A dispatcher whose Note handler publishes an Echo (one at a time, or `batched`). */
function echoing(publisher: Publisher, { batched = false } = {}) {
  const seen: { envelope: Envelope; trace: ReturnType<typeof traceOfMessage> }[] = [];
  const echo = (envelope: Envelope) =>
    publisher.publish({ topic: Echo.topic, key: null, envelope: newEnvelope(Echo, { n: 1 }, envelope.correlationId) });
  const route = batched
    ? onMessages(Note, async (items) => {
        for (const { envelope } of items) seen.push({ envelope, trace: traceOfMessage(envelope) });
        await echo(items[0].envelope);
      })
    : onMessage(Note, async (_payload, envelope) => echo(envelope));
  const dispatcher = new MessageDispatcher({ routes: [route], publisher, logger, retryDelayMs: 1, groupId: 'test-group' });
  return { dispatcher, seen };
}

const note = (n: number) => newEnvelope(Note, { n }, `c-${n}`);

/** Waits until `done()` holds (libs/testing's helper cannot be imported here: libs/testing depends on this lib). */
async function waitUntil(done: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('tracing off', () => {
  it('passes an incoming traceparent (and tracestate) on unchanged to what the handler publishes', async () => {
    const { sent, publisher } = recordingPublisher();
    const { dispatcher } = echoing(publisher);
    await dispatcher.dispatch([delivery(note(1), { traceparent, tracestate: 'a=1' })]);
    expect(sent).toEqual([
      { topic: Echo.topic, headers: expect.objectContaining({ [Headers.traceparent]: traceparent, [Headers.tracestate]: 'a=1' }) },
    ]);
  });

  it('adds no trace headers to messages outside a trace, and drops a malformed traceparent', async () => {
    const { sent, publisher } = recordingPublisher();
    const { dispatcher } = echoing(publisher);
    await dispatcher.dispatch([delivery(note(1)), delivery(note(2), { traceparent: 'not-a-traceparent' }, 1)]);
    expect(sent).toHaveLength(2);
    for (const { headers } of sent) expect(Object.keys(headers)).not.toContain(Headers.traceparent);
  });

  it("writes each batched message's trace for its handler, unchanged", async () => {
    const { publisher } = recordingPublisher();
    const { dispatcher, seen } = echoing(publisher, { batched: true });
    await dispatcher.dispatch([delivery(note(1), { traceparent }), delivery(note(2), {}, 1)]);
    expect(seen.map((s) => s.trace)).toEqual([{ traceparent }, undefined]);
  });
});

describe('tracing on', () => {
  let spans: FinishedSpan[];
  let tracing: Tracing;
  beforeEach(() => {
    spans = [];
    const exporter: Exporter = {
      export: (finished, done) => {
        spans.push(...finished);
        done({ code: 0 });
      },
      shutdown: async () => undefined,
    };
    tracing = startTracing({ serviceName: 'test', exporter });
  });
  afterEach(() => tracing.shutdown());
  const named = (name: string) => spans.filter((span) => span.name === name);

  it('consumes as a child of the sender, and publishes as a child of the consume span', async () => {
    const { sent, publisher } = recordingPublisher();
    const { dispatcher } = echoing(publisher);
    await dispatcher.dispatch([delivery(note(1), { traceparent })]);

    const [consume] = named('process test.notes');
    expect(consume.spanContext().traceId).toBe(TRACE_ID);
    expect(consume.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(consume.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'test.notes',
      'messaging.consumer.group.name': 'test-group',
    });
    const [send] = named('send test.echoes');
    expect(send.parentSpanContext?.spanId).toBe(consume.spanContext().spanId);
    expect(send.attributes).toMatchObject({ 'messaging.operation.type': 'send', 'messaging.destination.name': 'test.echoes' });
    // the message names its produce span: the consumer on the other side continues from there
    expect(sent[0].headers[Headers.traceparent]).toBe(`00-${TRACE_ID}-${send.spanContext().spanId}-01`);
  });

  it('handles a batch in a span of the first message’s trace, linked to each message, and hands each its own trace', async () => {
    const { publisher } = recordingPublisher();
    const { dispatcher, seen } = echoing(publisher, { batched: true });
    await dispatcher.dispatch([delivery(note(1), { traceparent }), delivery(note(2), {}, 1), delivery(note(3), {}, 2)]);

    const consumes = named('process test.notes');
    expect(consumes).toHaveLength(3);
    const [batch] = named('process Note batch');
    const first = consumes.find((span) => span.spanContext().traceId === TRACE_ID);
    expect(batch.parentSpanContext?.spanId).toBe(first?.spanContext().spanId);
    expect(batch.attributes['messaging.batch.message_count']).toBe(3);
    expect(batch.links.map((link) => link.context.spanId).sort()).toEqual(consumes.map((span) => span.spanContext().spanId).sort());
    // what the batch publishes is the batch's; what it writes per message carries that message's trace
    expect(named('send test.echoes')[0].parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
    expect(seen.map((s) => s.trace?.traceparent.split('-')[2]).sort()).toEqual(consumes.map((span) => span.spanContext().spanId).sort());
  });

  it('marks the consume span of a message that is dead-lettered as failed', async () => {
    const { publisher } = recordingPublisher();
    const dispatcher = new MessageDispatcher({
      routes: [
        onMessage(Note, async () => {
          throw new Error('always');
        }),
      ],
      publisher,
      logger,
      retryDelayMs: 1,
      maxAttempts: 2,
    });
    await dispatcher.dispatch([delivery(note(1), { traceparent })]);
    const [consume] = named('process test.notes');
    expect(consume.status).toEqual({ code: 2, message: 'dead-lettered: failed 2 times: Error: always' });
  });
});

describe('outbox relay', () => {
  const row = (id: string, trace: Partial<OutboxRow> = {}): OutboxRow => ({
    id,
    aggregate_id: `order-${id}`,
    type: Echo.type,
    payload: JSON.stringify(newEnvelope(Echo, { n: 1 }, 'c')),
    correlation_id: 'c',
    version: '1',
    topic: Echo.topic,
    ...trace,
  });

  /** Relays `rows` once through a recording publisher; resolves with what was sent. */
  async function relayed(rows: OutboxRow[]) {
    const { sent, publisher } = recordingPublisher();
    let pending = rows;
    const relay = startOutboxRelay({
      outbox: {
        source: 'test_outbox',
        tryLease: async () => true,
        releaseLease: async () => undefined,
        oldestUnpublished: async () => pending,
        markPublished: async () => void (pending = []),
      },
      defaultTopic: Echo.topic,
      publisher,
      logger,
      idleMs: 10,
    });
    await waitUntil(() => sent.length >= rows.length, 'the rows to be published');
    await relay.stop();
    return sent;
  }

  it('tracing off: publishes each row with the trace context it was written in, unchanged', async () => {
    const sent = await relayed([row('1', { traceparent, tracestate: 'a=1' }), row('2')]);
    expect(sent[0].headers).toMatchObject({ [Headers.traceparent]: traceparent, [Headers.tracestate]: 'a=1' });
    expect(Object.keys(sent[1].headers)).not.toContain(Headers.traceparent);
  });

  it("tracing on: a PRODUCER span per row, continuing the row's trace", async () => {
    const spans: FinishedSpan[] = [];
    const tracing = startTracing({
      serviceName: 'test',
      exporter: { export: (finished, done) => void (spans.push(...finished), done({ code: 0 })), shutdown: async () => undefined },
    });
    try {
      const sent = await relayed([row('1', { traceparent })]);
      await waitUntil(() => spans.length > 0, 'the relay span');
      const [send] = spans;
      expect(send.name).toBe('send test.echoes');
      expect(send.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
      expect(send.attributes).toMatchObject({ 'orderline.outbox.id': '1', 'messaging.kafka.message.key': 'order-1' });
      expect(sent[0].headers[Headers.traceparent]).toBe(`00-${TRACE_ID}-${send.spanContext().spanId}-01`);
    } finally {
      await tracing.shutdown();
    }
  });
});
