import { randomUUID } from 'node:crypto';
import { Partitioners, type IHeaders, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import { Headers, deadLetterTopic } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { createKafka, ensureTopics } from '@orderline/messaging';
import {
  OUTBOX_SOURCE,
  REPLAYED_FROM_HEADER,
  listDeadLetters,
  replayDeadLetters,
  type DeadLetterArgs,
  type DeadLetterTools,
} from './dead-letters';

/**
 * `npm run dlq` replays against the real Kafka (npm run infra:up), on topics of this run's own: the
 * replay never blocks on a letter, whatever it holds.
 */
const run = randomUUID().slice(0, 8);
const topic = `test.${run}.events`;
const dlq = deadLetterTopic(topic);
/** in knownTopics but not on the broker: a publish to it fails as "broker unavailable" */
const missing = `test.${run}.missing`;
const otherDlq = deadLetterTopic(`test.${run}.other`);
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const logger = createLogger('dlq-test', 'error');
logger.silent = true; // kafkajs logs the failing publish of the last test at length

let kafka: Kafka;
let producer: Producer;
const lines: string[] = [];
const tools = (): DeadLetterTools => ({ kafka, print: (line) => lines.push(line), knownTopics: [topic, missing], maxMessageBytes: 10_000 });
const args = (overrides: Partial<DeadLetterArgs> = {}): DeadLetterArgs => ({
  sourceTopic: topic,
  dlqTopic: dlq,
  limit: Number.POSITIVE_INFINITY,
  dryRun: false,
  group: `test-replayer-${run}`,
  timeoutMs: 20_000,
  ...overrides,
});
const json = () => lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  kafka = createKafka({ clientId: `test-${run}`, brokers, logger });
  await ensureTopics(kafka, [
    { topic, numPartitions: 1 },
    { topic: dlq, numPartitions: 1 },
    { topic: otherDlq, numPartitions: 1 },
  ]);
  producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
});

beforeEach(() => {
  lines.length = 0;
});

afterAll(async () => {
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([`test-replayer-${run}`]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic, dlq, otherDlq] }).catch(() => undefined);
  await admin.disconnect();
});

const envelope = (marker: string, pad = 0) =>
  JSON.stringify({
    messageId: randomUUID(),
    correlationId: `c-${marker}`,
    type: 'OrderConfirmed',
    occurredAt: new Date().toISOString(),
    payload: { marker, pad: 'x'.repeat(pad) },
  });

async function plant(target: string, key: string, value: string | null, headers: IHeaders): Promise<string> {
  const [meta] = await producer.send({
    topic: target,
    acks: -1,
    messages: [
      {
        key,
        value,
        headers: { [Headers.correlationId]: `c-${key}`, [Headers.messageType]: 'OrderConfirmed', [Headers.error]: 'planted', ...headers },
      },
    ],
  });
  return `${target}:${meta.partition}:${meta.baseOffset}`;
}

async function readAll(from: string, count: number): Promise<KafkaMessage[]> {
  const messages: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: `test-${run}-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: from, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
        if (messages.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

describe('dlq replay', () => {
  it('replays what can go, skips with a reason what never can (a value cut to fit the dlq, too large, unknown topic), and never blocks', async () => {
    const outbox = { [Headers.sourceTopic]: OUTBOX_SOURCE };
    const at = {
      outbox: await plant(dlq, 'outbox', envelope('outbox'), { ...outbox, [Headers.outboxId]: '41', [Headers.outboxTopic]: topic }),
      truncated: await plant(dlq, 'truncated', envelope('truncated').slice(0, 50), {
        ...outbox,
        [Headers.outboxId]: '42',
        [Headers.outboxTopic]: topic,
        [Headers.truncatedFrom]: '1200000',
      }),
      tooLarge: await plant(dlq, 'too-large', envelope('too-large', 20_000), {
        ...outbox,
        [Headers.outboxId]: '43',
        [Headers.outboxTopic]: topic,
      }),
      // a consumer's letter whose source is no topic of the system's
      stray: await plant(dlq, 'stray', envelope('stray'), {
        [Headers.sourceTopic]: 'no-such-topic',
        [Headers.sourcePartition]: '0',
        [Headers.sourceOffset]: '7',
      }),
      // written before the outbox letters named their row's topic: the dlq name minus ".dlq"
      oldOutbox: await plant(dlq, 'old-outbox', envelope('old-outbox'), outbox),
      consumer: await plant(dlq, 'consumer', envelope('consumer'), {
        [Headers.sourceTopic]: topic,
        [Headers.sourcePartition]: '0',
        [Headers.sourceOffset]: '8',
      }),
    };

    await listDeadLetters(tools(), args());
    expect(json().find((line) => line['key'] === 'outbox')).toMatchObject({
      sourceTopic: OUTBOX_SOURCE,
      outboxId: '41',
      outboxTopic: topic,
    });
    expect(json().find((line) => line['key'] === 'truncated')).toMatchObject({ truncatedFrom: '1200000' });
    lines.length = 0;

    expect(await replayDeadLetters(tools(), args({ dryRun: true }))).toEqual({ replayed: 3, skipped: 3 });
    expect(json().map((line) => [line['key'], line['action']])).toEqual([
      ['outbox', 'would-replay'],
      ['truncated', 'would-skip'],
      ['too-large', 'would-skip'],
      ['stray', 'would-skip'],
      ['old-outbox', 'would-replay'],
      ['consumer', 'would-replay'],
    ]);
    lines.length = 0;

    const started = Date.now();
    expect(await replayDeadLetters(tools(), args())).toEqual({ replayed: 3, skipped: 3 });
    expect(Date.now() - started).toBeLessThan(15_000);
    const byKey = new Map(json().map((line) => [line['key'], line]));
    expect(byKey.get('outbox')).toMatchObject({ action: 'replayed', from: at.outbox, to: topic });
    expect(byKey.get('truncated')).toMatchObject({
      action: 'skipped',
      from: at.truncated,
      reason: `the letter holds only the start of a message of 1200000 bytes (cut to fit the dlq): the whole message is in ${OUTBOX_SOURCE} row 42`,
    });
    expect(byKey.get('too-large')).toMatchObject({
      action: 'skipped',
      from: at.tooLarge,
      reason: expect.stringMatching(/^MESSAGE_TOO_LARGE: /),
    });
    expect(byKey.get('stray')).toMatchObject({
      action: 'skipped',
      from: at.stray,
      to: 'no-such-topic',
      reason: expect.stringMatching(/^UNKNOWN_TOPIC: topic "no-such-topic" is not one of this system's topics/),
    });
    expect(byKey.get('old-outbox')).toMatchObject({ action: 'replayed', from: at.oldOutbox, to: topic });
    expect(byKey.get('consumer')).toMatchObject({ action: 'replayed', from: at.consumer, to: topic });
    expect(lines.at(-1)).toMatch(/^replayed 3 dead letter\(s\) from .*; skipped 3 \(see "reason" above\); progress committed/);

    const replayed = await readAll(topic, 3);
    expect(replayed.map((m) => m.key?.toString())).toEqual(['outbox', 'old-outbox', 'consumer']);
    expect(replayed.map((m) => m.headers?.[REPLAYED_FROM_HEADER]?.toString())).toEqual([at.outbox, at.oldOutbox, at.consumer]);
    expect(JSON.parse(replayed[0].value?.toString() ?? '')).toMatchObject({ payload: { marker: 'outbox' } });
    // the dlq-* headers stay behind, the others go along
    expect(Object.keys(replayed[0].headers ?? {}).sort()).toEqual(
      [Headers.correlationId, REPLAYED_FROM_HEADER, Headers.messageType].sort(),
    );

    // the skipped letters count as done: a second replay has nothing to do
    lines.length = 0;
    expect(await replayDeadLetters(tools(), args())).toEqual({ replayed: 0, skipped: 0 });
  });

  it('stops at a letter the broker cannot take now, with its position, instead of retrying it until the timeout; that letter stays to be replayed', async () => {
    const first = await plant(otherDlq, 'first', envelope('first'), { [Headers.sourceTopic]: topic });
    const stuck = await plant(otherDlq, 'stuck', envelope('stuck'), { [Headers.sourceTopic]: missing });
    const started = Date.now();
    const failed = await replayDeadLetters(
      tools(),
      args({ sourceTopic: `test.${run}.other`, dlqTopic: otherDlq, timeoutMs: 55_000 }),
    ).catch((error: unknown) => error as Error);
    expect(failed).toBeInstanceOf(Error);
    expect((failed as Error).message).toContain(`${stuck}: could not publish to Kafka`);
    expect(Date.now() - started).toBeLessThan(50_000);
    expect(json().map((line) => [line['from'], line['action']])).toEqual([[first, 'replayed']]);
    // committed up to the stuck letter: the next replay starts with it
    lines.length = 0;
    await replayDeadLetters(tools(), args({ sourceTopic: `test.${run}.other`, dlqTopic: otherDlq, dryRun: true }));
    expect(json().map((line) => line['from'])).toEqual([stuck]);
  }, 90_000);
});
