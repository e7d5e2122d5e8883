import { randomUUID } from 'node:crypto';
import { createLogger } from '@orderline/logging';
import type { Kafka } from 'kafkajs';
import { createKafka, ensureTopics } from './kafka';
import { Publisher } from './publisher';

/** Against the real Kafka broker (npm run infra:up), whose records batches may be at most 1 MiB (its default). */
const run = randomUUID().slice(0, 8);
const topic = `test.${run}.publisher`;
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const logger = createLogger('messaging-test', 'error');

let kafka: Kafka;
let publisher: Publisher;

beforeAll(async () => {
  kafka = createKafka({ clientId: `test-${run}`, brokers, logger });
  await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
  publisher = new Publisher(kafka);
  await publisher.connect();
});

afterAll(async () => {
  await publisher.disconnect();
});

async function readBack(count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `test-${run}-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const keys: string[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        keys.push(String(message.key));
        if (keys.length === count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return keys;
}

describe('Publisher', () => {
  it('splits what is queued into produce requests the broker accepts: 6 MB of 20 kB messages at once, one call in order', async () => {
    const value = 'x'.repeat(20_000);
    const keys = Array.from({ length: 300 }, (_, i) => `m${String(i).padStart(3, '0')}`);
    // one raw call with 150 messages (3 MB, like a relay batch), and 150 separate ones (like many clients)
    await Promise.all([
      publisher.sendRaw(keys.slice(0, 150).map((key) => ({ topic, key, value }))),
      ...keys.slice(150).map((key) => publisher.sendRaw([{ topic, key, value }])),
    ]);
    const received = await readBack(keys.length);
    expect([...received].sort()).toEqual(keys);
    expect(received.filter((key) => key < 'm150')).toEqual(keys.slice(0, 150));
  });
});
