import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { deadLetterTopic, defineMessage } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import type { Kafka } from 'kafkajs';
import { MAX_HEARTBEAT_WHILE_HANDLING_MS, startConsumer, whileHeartbeating, type RunningConsumer } from './consumer';
import { newEnvelope } from './envelope';
import { createKafka, ensureTopics } from './kafka';
import { Publisher } from './publisher';
import { onMessage } from './routes';

/** Against the real Kafka broker (npm run infra:up), on a topic of this run's own. */
const run = randomUUID().slice(0, 8);
const topic = `test.${run}.start`;
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const logger = createLogger('consumer-test', 'error');
const Ping = defineMessage({ type: 'Ping', topic, payload: z.object({ n: z.number() }) });

let kafka: Kafka;
let publisher: Publisher;
const consumers: RunningConsumer[] = [];

beforeAll(async () => {
  kafka = createKafka({ clientId: `test-${run}`, brokers, logger });
  await ensureTopics(kafka, [
    { topic, numPartitions: 1 },
    { topic: deadLetterTopic(topic), numPartitions: 1 },
  ]);
  publisher = new Publisher(kafka);
  await publisher.connect();
}, 60_000);

afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.stop()));
  await publisher.disconnect();
});

const ping = (n: number) => publisher.publish({ topic, key: 'k', envelope: newEnvelope('Ping', { n }, `ping-${n}`) });

describe('startConsumer: where a group without committed offsets starts', () => {
  it('reads what the topic holds by default; with fromBeginning false only what comes after its first fetch', async () => {
    await ping(1);
    const seen: Record<'earliest' | 'latest', number[]> = { earliest: [], latest: [] };
    const start = async (name: 'earliest' | 'latest', options: { fromBeginning?: boolean }) =>
      consumers.push(
        await startConsumer({
          kafka,
          publisher,
          logger,
          groupId: `test-${run}-${name}`,
          topics: [topic],
          routes: [
            onMessage(Ping, async ({ n }) => {
              seen[name].push(n);
            }),
          ],
          ...options,
        }),
      );
    await start('earliest', {});
    await start('latest', { fromBeginning: false });
    // the end is resolved at the group's first fetch, a moment after it joined: ping until it reads one
    const deadline = Date.now() + 20_000;
    for (let n = 2; seen.latest.length === 0 && Date.now() < deadline; n++) {
      await ping(n);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.latest.length).toBeGreaterThan(0);
    expect(seen.latest).not.toContain(1);
    const last = seen.latest[seen.latest.length - 1];
    while (!seen.earliest.includes(last) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.earliest.slice(0, 2)).toEqual([1, 2]);
  }, 30_000);
});

describe('startConsumer: a chunk that takes longer than the session timeout', () => {
  it('is handled once: the member heartbeats while it works and stays in its group', async () => {
    const handled: number[] = [];
    const consumer = await startConsumer({
      kafka,
      publisher,
      logger,
      groupId: `test-${run}-slow`,
      topics: [topic],
      fromBeginning: false,
      sessionTimeoutMs: 6_000,
      routes: [
        onMessage(Ping, async ({ n }) => {
          handled.push(n);
          // the slow step (a database under overload): longer than the session timeout
          if (n === -1 && handled.filter((m) => m === -1).length === 1) await new Promise((resolve) => setTimeout(resolve, 8_000));
        }),
      ],
    });
    consumers.push(consumer);
    // the group's first fetch sets where it starts: ping until one is read, then the slow one
    const deadline = Date.now() + 20_000;
    for (let n = 1_000; handled.length === 0 && Date.now() < deadline; n++) {
      await ping(n);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await ping(-1);
    await ping(-2);
    while (!handled.includes(-2) && Date.now() < deadline + 15_000) await new Promise((resolve) => setTimeout(resolve, 50));
    // removed from the group, its commit would have been refused and the slow message handled again
    expect(handled.filter((n) => n === -1)).toHaveLength(1);
    expect(handled.filter((n) => n === -2)).toHaveLength(1);
  }, 45_000);
});

describe('whileHeartbeating', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('heartbeats every second while the work runs, stops when it ends, and ignores a failed heartbeat', async () => {
    let beats = 0;
    let finish: (value: string) => void = () => undefined;
    const work = new Promise<string>((resolve) => (finish = resolve));
    const waiting = whileHeartbeating(async () => {
      beats++;
      if (beats === 2) throw new Error('rebalancing');
    }, work);
    await jest.advanceTimersByTimeAsync(3_500);
    expect(beats).toBe(3);
    finish('done');
    await expect(waiting).resolves.toBe('done');
    await jest.advanceTimersByTimeAsync(5_000);
    expect(beats).toBe(3);
  });

  it('stops heartbeating after MAX_HEARTBEAT_WHILE_HANDLING_MS: work stuck that long lets the group move on', async () => {
    let beats = 0;
    void whileHeartbeating(async () => void beats++, new Promise(() => undefined));
    await jest.advanceTimersByTimeAsync(MAX_HEARTBEAT_WHILE_HANDLING_MS + 5_000);
    const atBound = beats;
    expect(atBound).toBeGreaterThanOrEqual(MAX_HEARTBEAT_WHILE_HANDLING_MS / 1_000 - 1);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(beats).toBe(atBound);
  });
});
