import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { createLogger } from '@orderline/logging';
import { createKafka, ensureTopics } from './kafka';
import { PeerGroup } from './peer-group';

/** Against the real Kafka broker (npm run infra:up): instances counted by their consumer group. */
const run = randomUUID().slice(0, 8);
const topic = `test.${run}.peers`;
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const logger = createLogger('messaging-test', 'error');

let kafka: Kafka;

/** (@orderline/testing depends on this lib, so a local wait instead of its waitFor) */
async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const groups: PeerGroup[] = [];
const peer = () => {
  const group = new PeerGroup({ kafka, topic, groupId: `test-${run}-peers`, logger, refreshMs: 200 });
  groups.push(group);
  return group;
};

beforeAll(async () => {
  kafka = createKafka({ clientId: `test-${run}`, brokers, logger });
  await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
});

afterAll(async () => {
  await Promise.all(groups.map((group) => group.stop()));
});

it('counts the live members (more than the topic has partitions), and one fewer once one stops', async () => {
  const [a, b, c] = [peer(), peer(), peer()];
  expect(a.size).toBe(1); // before anything is known
  await Promise.all([a.start(), b.start(), c.start()]);
  await until(() => [a, b, c].every((g) => g.size === 3), 'all three to count 3');
  await c.stop();
  await until(() => a.size === 2 && b.size === 2, 'the other two to count 2');
}, 60_000);
