import { randomUUID } from 'node:crypto';
import { createLogger } from '@orderline/logging';
import type { Kafka } from 'kafkajs';
import { createKafka, ensureTopics } from './kafka';
import { BrokerUnavailableError, Publisher, PublisherOverloadedError, PublishRefusedError } from './publisher';

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

  it('refuses a message over maxMessageBytes before it reaches the broker, and a topic it does not know', async () => {
    const strict = new Publisher(kafka, { maxMessageBytes: 100_000, knownTopics: [topic] });
    await strict.connect();
    try {
      await expect(strict.sendRaw([{ topic, key: 'big', value: 'x'.repeat(100_001) }])).rejects.toMatchObject({
        name: 'PublishRefusedError',
        reason: 'MESSAGE_TOO_LARGE',
      });
      await expect(strict.sendRaw([{ topic: 'no-such-topic', key: 'k', value: 'v' }])).rejects.toMatchObject({
        name: 'PublishRefusedError',
        reason: 'UNKNOWN_TOPIC',
      });
      await expect(strict.sendRaw([{ topic, key: 'fits', value: 'x'.repeat(90_000) }])).resolves.toBeUndefined();
    } finally {
      await strict.disconnect();
    }
  });

  it('a message the broker refuses as too large fails at once as permanent, and only its own call: others sharing the request go through', async () => {
    const small = `test.${run}.small-messages`;
    await ensureTopics(kafka, [{ topic: small, numPartitions: 1, config: { 'max.message.bytes': '20000' } }]);
    const started = Date.now();
    const results = await Promise.allSettled([
      publisher.sendRaw([{ topic: small, key: 'ok-1', value: 'a' }]),
      publisher.sendRaw([{ topic: small, key: 'too-big', value: 'x'.repeat(50_000) }]),
      publisher.sendRaw([{ topic: small, key: 'ok-2', value: 'b' }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (results[1] as PromiseRejectedResult).reason;
    expect(refused).toBeInstanceOf(PublishRefusedError);
    expect(refused).not.toBeInstanceOf(BrokerUnavailableError);
    expect(refused.reason).toBe('MESSAGE_TOO_LARGE');
    expect(Date.now() - started).toBeLessThan(5_000); // not retried as an outage
  });

  it('bounds what waits for the broker: beyond maxQueuedBytes a call fails at once, the others go through', async () => {
    const bounded = new Publisher(kafka, { maxQueuedBytes: 20_000 });
    await bounded.connect();
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => bounded.sendRaw([{ topic, key: `bounded-${i}`, value: 'x'.repeat(5_000) }])),
      );
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.length).toBeLessThan(10);
      for (const r of refused) expect(r.reason).toBeInstanceOf(PublisherOverloadedError);
      // once drained, it takes calls again
      await expect(bounded.sendRaw([{ topic, key: 'after', value: 'x'.repeat(5_000) }])).resolves.toBeUndefined();
    } finally {
      await bounded.disconnect();
    }
  });
});
