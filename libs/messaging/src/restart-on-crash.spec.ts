import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { createLogger } from '@orderline/logging';
import { createKafka, ensureTopics } from './kafka';
import { Publisher } from './publisher';
import { restartOnCrash, type CrashRestart } from './restart-on-crash';

/** Against the real Kafka broker (npm run infra:up). */
const run = randomUUID().slice(0, 8);
const topic = `test.${run}.crash`;
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const logger = createLogger('messaging-test', 'error');

let kafka: Kafka;
let publisher: Publisher;
let consumer: Consumer;
let crashRestart: CrashRestart | undefined;

beforeAll(async () => {
  kafka = createKafka({ clientId: `test-${run}`, brokers, logger });
  await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
  publisher = new Publisher(kafka);
  await publisher.connect();
});

afterAll(async () => {
  crashRestart?.stop();
  await consumer?.disconnect();
  await publisher.disconnect();
});

it('restarts a consumer after a crash kafkajs itself gives up on, and the message is handled', async () => {
  consumer = kafka.consumer({ groupId: `test-${run}-crash`, maxWaitTimeInMs: 100 });
  const crashes: boolean[] = [];
  consumer.on(consumer.events.CRASH, ({ payload }) => crashes.push(payload.restart));
  const seen: string[] = [];
  let thrown = false;
  const runConfig = {
    eachMessage: async ({ message }: { message: { value: Buffer | null } }) => {
      if (!thrown) {
        thrown = true;
        // a TypeError is "unrecoverable" to kafkajs: it crashes the consumer without restarting it
        throw new TypeError('handler bug on first delivery');
      }
      seen.push(message.value?.toString() ?? '');
    },
  };
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  crashRestart = restartOnCrash(consumer, runConfig, logger, { initialDelayMs: 100 });
  await consumer.run(runConfig);

  await publisher.sendRaw([{ topic, key: 'k', value: 'hello' }]);

  // (@orderline/testing depends on this lib, so a local wait instead of its waitFor)
  const deadline = Date.now() + 30_000;
  while (!seen.includes('hello') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(seen).toEqual(['hello']);
  expect(crashes).toEqual([false]); // kafkajs would have left it stopped
});
