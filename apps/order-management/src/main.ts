import { Topics, topicSpecs } from '@orderline/contracts';
import { createPrismaClient, isDatabaseReachable } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import { KafkaHealth, Publisher, Requester, createKafka, ensureTopics, newInstanceId } from '@orderline/messaging';
import { exitOnStartupError, onShutdown, startHealthServer } from '@orderline/runtime';
import { loadOrderManagementConfig } from './config';
import { OrderRepository } from './db/order-repository';
import { OutboxRepository } from './db/outbox-repository';
import { startOrderCommandsConsumer } from './messaging/order-commands-consumer';
import { startOutboxRelay } from './messaging/outbox-relay';

const logger = createLogger('order-management');

async function main() {
  const config = loadOrderManagementConfig();
  const instanceId = config.INSTANCE_ID ?? newInstanceId('order-management');
  const prisma = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const kafka = createKafka({ clientId: instanceId, brokers: config.KAFKA_BROKERS, logger });
  await ensureTopics(kafka, topicSpecs);
  const publisher = new Publisher(kafka);
  await publisher.connect();
  const kafkaHealth = new KafkaHealth(kafka);
  const requester = new Requester({
    kafka,
    publisher,
    replyTopic: Topics.orderManagementReplies,
    instanceId,
    logger,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
  });
  await requester.start();

  const consumer = await startOrderCommandsConsumer({
    kafka,
    publisher,
    requester,
    orders: new OrderRepository(prisma),
    logger,
  });
  const relay = startOutboxRelay({ outbox: new OutboxRepository(prisma), publisher, logger });
  const health = await startHealthServer({
    host: config.HOST,
    port: config.HEALTH_PORT,
    logger,
    checks: { kafka: () => kafkaHealth.isReachable(), database: () => isDatabaseReachable(prisma) },
  });

  onShutdown(logger, [
    () => consumer.stop(),
    () => relay.stop(),
    () => requester.stop(),
    () => publisher.disconnect(),
    () => kafkaHealth.close(),
    () => new Promise((resolve) => health.close(resolve)),
    () => prisma.$disconnect(),
  ]);
}

main().catch(exitOnStartupError(logger));
