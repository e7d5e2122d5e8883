import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { deadLetterTopic, defineMessage } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import type { Kafka } from 'kafkajs';
import { startConsumer, type RunningConsumer } from './consumer';
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
