import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Headers, defineRequest, deadLetterTopic, type Envelope, type RequestContract } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import type { Kafka } from 'kafkajs';
import type { Counter } from 'prom-client';
import { createKafka, ensureTopics } from './kafka';
import { newEnvelope } from './envelope';
import { BrokerUnavailableError, Publisher } from './publisher';
import { ReplyFailedError, RequestTimeoutError, Requester, UnreadableReplyError } from './request-reply';
import { ReplyError, onRequest } from './routes';
import { startConsumer, type RunningConsumer } from './consumer';
import { consumerLag, deadLetteredMessages, requestTimeouts } from './metrics';

/** Integration tests against the real Kafka broker (npm run infra:up). Each run uses topics of its own. */
const run = randomUUID().slice(0, 8);
const requestTopic = `test.${run}.requests`;
const replyTopic = `test.${run}.replies`;
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const logger = createLogger('messaging-test', 'error');

const Double = defineRequest({
  type: 'Double',
  topic: requestTopic,
  request: z.object({ n: z.number() }),
  reply: z.object({ doubled: z.number() }),
});

let kafka: Kafka;
let publisher: Publisher;
let responder: RunningConsumer;
const requesters: Requester[] = [];
let handled = 0;
let outageCalls = 0;

async function newRequester(timeoutMs = 5_000): Promise<Requester> {
  const requester = new Requester({ kafka, publisher, replyTopic, instanceId: randomUUID(), logger, timeoutMs });
  await requester.start();
  requesters.push(requester);
  return requester;
}

beforeAll(async () => {
  kafka = createKafka({ clientId: `test-${run}`, brokers, logger });
  await ensureTopics(kafka, [
    { topic: requestTopic, numPartitions: 3 },
    { topic: deadLetterTopic(requestTopic), numPartitions: 1 },
    { topic: replyTopic, numPartitions: 3 },
  ]);
  publisher = new Publisher(kafka);
  await publisher.connect();
  responder = await startConsumer({
    kafka,
    groupId: `test-${run}-responder`,
    topics: [requestTopic],
    publisher,
    logger,
    retryDelayMs: 10,
    maxAttempts: 3,
    maxOutageMs: 3_000,
    isReplyTopic: (topic) => topic === replyTopic,
    routes: [
      onRequest(Double, publisher, async ({ n }) => {
        handled++;
        if (n < 0) throw new ReplyError('BAD_REQUEST', 'negative numbers are not doubled');
        if (n === 13) throw new Error('unlucky: always fails');
        if (n === 77 && ++outageCalls <= 4) throw new BrokerUnavailableError('the broker is away');
        if (n === 88) throw new BrokerUnavailableError('the broker is away for good');
        return { doubled: n * 2 };
      }),
    ],
  });
});

afterAll(async () => {
  await Promise.all(requesters.map((r) => r.stop()));
  await responder.stop();
  await publisher.disconnect();
});

describe('request/reply over Kafka', () => {
  it('round-trips a request to its reply', async () => {
    const requester = await newRequester();
    await expect(requester.request(Double, { n: 21 }, { key: 'k', correlationId: 'c-1' })).resolves.toEqual({ doubled: 42 });
  });

  it('matches concurrent replies to their own requests', async () => {
    const requester = await newRequester();
    const numbers = Array.from({ length: 50 }, (_, i) => 100 + i);
    const results = await Promise.all(numbers.map((n) => requester.request(Double, { n }, { key: String(n), correlationId: `c-${n}` })));
    expect(results).toEqual(numbers.map((n) => ({ doubled: n * 2 })));
  });

  it('routes each reply to the instance that asked, with two instances on one reply topic', async () => {
    const [a, b] = [await newRequester(), await newRequester()];
    const [ra, rb] = await Promise.all([
      a.request(Double, { n: 1 }, { key: 'a', correlationId: 'a' }),
      b.request(Double, { n: 2 }, { key: 'b', correlationId: 'b' }),
    ]);
    expect([ra, rb]).toEqual([{ doubled: 2 }, { doubled: 4 }]);
  });

  it("reports the responder group's lag per partition, down to 0 once everything is handled", async () => {
    const requester = await newRequester();
    await Promise.all([1, 2, 3, 4].map((n) => requester.request(Double, { n }, { key: `lag-${n}`, correlationId: 'lag' })));
    const lagOfGroup = async () => (await consumerLag.get()).values.filter((v) => v.labels['group'] === `test-${run}-responder`);
    // (@orderline/testing depends on this lib, so a local wait instead of its waitFor)
    let lags = await lagOfGroup();
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; lags = await lagOfGroup()) {
      if (lags.length === 3 && lags.every((v) => v.value === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lags.map((v) => v.value)).toEqual([0, 0, 0]);
    expect(lags.map((v) => v.labels['topic'])).toEqual([requestTopic, requestTopic, requestTopic]);
    expect(lags.map((v) => v.labels['partition']).sort()).toEqual(['0', '1', '2']);
  });

  it("turns a responder's deliberate error into ReplyFailedError with its code", async () => {
    const requester = await newRequester();
    const failure = requester.request(Double, { n: -1 }, { key: 'k', correlationId: 'c' });
    await expect(failure).rejects.toBeInstanceOf(ReplyFailedError);
    await expect(failure).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('bounds the requests waiting for replies: beyond maxPending one fails at once', async () => {
    const requester = new Requester({ kafka, publisher, replyTopic, instanceId: randomUUID(), logger, timeoutMs: 500, maxPending: 2 });
    await requester.start();
    requesters.push(requester);
    const Unanswered = { ...Double, topic: deadLetterTopic(requestTopic) }; // nothing answers this topic
    const results = await Promise.allSettled([1, 2, 3].map((n) => requester.request(Unanswered, { n }, { key: 'k', correlationId: 'c' })));
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).name : 'ok'))).toEqual([
      'RequestTimeoutError',
      'RequestTimeoutError',
      'RequesterOverloadedError',
    ]);
  });

  it('times out when nobody answers', async () => {
    const requester = await newRequester(300);
    const Unanswered = { ...Double, topic: deadLetterTopic(requestTopic) }; // nothing consumes this topic as requests
    const timeoutsBefore = await counterValue(requestTimeouts, { type: Double.type });
    const started = Date.now();
    await expect(requester.request(Unanswered, { n: 1 }, { key: 'k', correlationId: 'c' })).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await counterValue(requestTimeouts, { type: Double.type })).toBe(timeoutsBefore + 1);
  });

  it('answers INTERNAL after bounded retries and dead-letters the request, then keeps consuming', async () => {
    const requester = await newRequester();
    const before = handled;
    await expect(requester.request(Double, { n: 13 }, { key: 'k', correlationId: 'poison-13' })).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    expect(handled - before).toBe(3);
    const dead = await readOne(deadLetterTopic(requestTopic), (m) => m.headers[Headers.correlationId] === 'poison-13');
    expect(dead.headers[Headers.error]).toContain('unlucky');
    expect(dead.headers[Headers.sourceTopic]).toBe(requestTopic);
    expect(dead.headers[Headers.sourceOffset]).toMatch(/^\d+$/);
    await expect(requester.request(Double, { n: 5 }, { key: 'k', correlationId: 'after' })).resolves.toEqual({ doubled: 10 });
  });

  it('retries through a dependency outage beyond maxAttempts: nothing is dead-lettered', async () => {
    const requester = await newRequester(10_000);
    await expect(requester.request(Double, { n: 77 }, { key: 'k', correlationId: 'outage' })).resolves.toEqual({ doubled: 154 });
    expect(outageCalls).toBe(5);
  });

  it('waits out an outage only up to maxOutageMs, then dead-letters and answers INTERNAL; readiness sees the stall meanwhile', async () => {
    const requester = await newRequester(15_000);
    const started = Date.now();
    const answer = requester.request(Double, { n: 88 }, { key: 'k', correlationId: 'endless-outage' });
    let stalled: string[] = [];
    while (stalled.length === 0 && Date.now() - started < 2_900) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stalled = responder.stalledPartitions(1_000);
    }
    expect(stalled).toHaveLength(1);
    expect(stalled[0]).toMatch(new RegExp(`^${requestTopic}/\\d$`));
    await expect(answer).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    const dead = await readOne(deadLetterTopic(requestTopic), (m) => m.headers[Headers.correlationId] === 'endless-outage');
    expect(dead.headers[Headers.error]).toMatch(/dependency was unavailable for 3000 ms/);
    expect(responder.stalledPartitions(1_000)).toEqual([]);
    await expect(requester.request(Double, { n: 6 }, { key: 'k', correlationId: 'after-outage' })).resolves.toEqual({ doubled: 12 });
  });

  it('dead-letters a request whose replyTo is not a reply topic, answering nothing, and keeps consuming', async () => {
    const requester = await newRequester();
    const before = handled;
    const forged = newEnvelope(Double.type, { n: 3 }, `forged-${run}`, { replyTo: 'no-such-topic' });
    await publisher.publish({ topic: requestTopic, key: 'k', envelope: forged });
    const dead = await readOne(deadLetterTopic(requestTopic), (m) => m.headers[Headers.correlationId] === `forged-${run}`);
    expect(dead.headers[Headers.error]).toMatch(/replyTo "no-such-topic" is not one of the system's reply topics/);
    expect(handled).toBe(before);
    await expect(requester.request(Double, { n: 9 }, { key: 'k', correlationId: 'after-forged' })).resolves.toEqual({ doubled: 18 });
  });

  it('dead-letters a message that is not an envelope, without retrying, and keeps consuming', async () => {
    const requester = await newRequester();
    const deadLetteredBefore = await counterValue(deadLetteredMessages, { topic: requestTopic });
    const garbage = `not json ${randomUUID()}`;
    await publisher.sendRaw([{ topic: requestTopic, key: 'x', value: garbage }]);
    const unknownType = newEnvelope('NoSuchType', {}, 'unknown-type');
    await publisher.publish({ topic: requestTopic, key: 'x', envelope: unknownType });

    const dead = await readOne(deadLetterTopic(requestTopic), (m) => m.value === garbage);
    expect(dead.headers[Headers.error]).toMatch(/not a valid envelope/);
    const deadType = await readOne(deadLetterTopic(requestTopic), (m) => m.headers[Headers.correlationId] === 'unknown-type');
    expect(deadType.headers[Headers.error]).toMatch(/unknown message type NoSuchType/);
    expect(await counterValue(deadLetteredMessages, { topic: requestTopic })).toBe(deadLetteredBefore + 2);
    await expect(requester.request(Double, { n: 4 }, { key: 'x', correlationId: 'c' })).resolves.toEqual({ doubled: 8 });
  });
});

describe('request/reply across versions', () => {
  /** Double at version 2: the reply says what it doubled; version 1 only doubled numbers */
  const DoubleV2 = defineRequest({
    type: 'Double',
    topic: requestTopic,
    version: 2,
    request: z.object({ n: z.number() }),
    reply: z.object({ doubled: z.number(), of: z.string() }),
    previous: { reply: { schema: z.object({ doubled: z.number() }), upgrade: (old) => ({ ...old, of: 'a number' }) } },
  });

  it('a requester one version ahead of its responder (a rolling deploy): the responder reads its request, the reply is upgraded', async () => {
    const requester = await newRequester();
    await expect(requester.request(DoubleV2, { n: 4 }, { key: 'k', correlationId: `rolling-${run}` })).resolves.toEqual({
      doubled: 8,
      of: 'a number',
    });
    const reply = await readOne(replyTopic, (m) => m.headers[Headers.correlationId] === `rolling-${run}`);
    expect([reply.headers[Headers.messageType], reply.headers[Headers.messageVersion]]).toEqual(['DoubleReply', '1']);
    expect((JSON.parse(reply.value) as Envelope).version).toBe(1);
  });

  /** Asks `contract` where nobody answers, then answers it by hand as `version` with `result`. */
  async function answeredAs(contract: RequestContract, version: number, result: unknown): Promise<unknown> {
    const requester = await newRequester();
    const original = publisher.publish.bind(publisher);
    let request: Envelope | undefined;
    jest.spyOn(publisher, 'publish').mockImplementationOnce(async (...messages) => {
      request = messages[0].envelope;
      return original(...messages);
    });
    const unanswered = { ...contract, topic: deadLetterTopic(requestTopic) };
    const answer = requester.request(unanswered, { n: 1 }, { key: 'k', correlationId: `by-hand-${version}` });
    answer.catch(() => undefined);
    while (!request) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(request.version).toBe(contract.version);
    const reply = newEnvelope({ type: 'DoubleReply', version }, { ok: true, result }, 'c', { inReplyTo: request.messageId });
    await publisher.publish({ topic: replyTopic, key: 'k', envelope: reply });
    return answer;
  }

  it('reads a reply of the current version as it is, the previous upgraded, the next as the current; refuses any other', async () => {
    await expect(answeredAs(DoubleV2, 2, { doubled: 2, of: 'kg' })).resolves.toEqual({ doubled: 2, of: 'kg' });
    await expect(answeredAs(DoubleV2, 1, { doubled: 2 })).resolves.toEqual({ doubled: 2, of: 'a number' });
    await expect(answeredAs(DoubleV2, 3, { doubled: 2, of: 'kg', unit: 'new' })).resolves.toEqual({ doubled: 2, of: 'kg' });
    const refused = answeredAs(DoubleV2, 4, { doubled: 2, of: 'kg' });
    await expect(refused).rejects.toBeInstanceOf(UnreadableReplyError);
    await expect(refused).rejects.toThrow('unsupported version 4 of DoubleReply: this consumer reads versions 1 to 3');
  });
});

async function counterValue(counter: Counter, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get();
  return values.find((v) => Object.entries(labels).every(([name, value]) => v.labels[name] === value))?.value ?? 0;
}

/** Reads `topic` from the beginning until a message matches. */
async function readOne(
  topic: string,
  matches: (m: { value: string; headers: Record<string, string> }) => boolean,
): Promise<{ value: string; headers: Record<string, string> }> {
  const consumer = kafka.consumer({ groupId: `test-${run}-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message on ${topic}`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const decoded = {
            value: message.value?.toString() ?? '',
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
          };
          if (matches(decoded)) {
            clearTimeout(timer);
            resolve(decoded);
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

describe('request/reply when the broker is unreachable', () => {
  it('fails with BrokerUnavailableError or RequestTimeoutError, never an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const nowhere = createKafka({ clientId: 'nowhere', brokers: ['127.0.0.1:1'], logger });
    const deadPublisher = new Publisher(nowhere);
    const requester = new Requester({ kafka: nowhere, publisher: deadPublisher, replyTopic, instanceId: 'x', logger, timeoutMs: 200 });
    const started = Date.now();
    const error = await requester.request(Double, { n: 1 }, { key: 'k', correlationId: 'c' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(['BrokerUnavailableError', 'RequestTimeoutError']).toContain((error as Error).name);
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
});
