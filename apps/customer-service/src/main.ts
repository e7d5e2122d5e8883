import { topicSpecs } from '@orderline/contracts';
import { createPrismaClient, isDatabaseReachable } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import { KafkaHealth, Publisher, createKafka, ensureTopics, newInstanceId } from '@orderline/messaging';
import { exitOnStartupError, onShutdown, startHealthServer } from '@orderline/runtime';
import { loadCustomerServiceConfig } from './config';
import { CustomerRepository } from './db/customer-repository';
import { startCustomerRequestsConsumer } from './messaging/customer-requests-consumer';

const logger = createLogger('customer-service');

async function main() {
  const config = loadCustomerServiceConfig();
  const instanceId = config.INSTANCE_ID ?? newInstanceId('customer-service');
  const prisma = createPrismaClient(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const kafka = createKafka({ clientId: instanceId, brokers: config.KAFKA_BROKERS, logger });
  await ensureTopics(kafka, topicSpecs);
  const publisher = new Publisher(kafka);
  await publisher.connect();
  const kafkaHealth = new KafkaHealth(kafka);

  const consumer = await startCustomerRequestsConsumer({
    kafka,
    publisher,
    customers: new CustomerRepository(prisma),
    logger,
  });
  const health = await startHealthServer({
    host: config.HOST,
    port: config.HEALTH_PORT,
    logger,
    checks: { kafka: () => kafkaHealth.isReachable(), database: () => isDatabaseReachable(prisma) },
  });

  onShutdown(logger, [
    () => consumer.stop(),
    () => publisher.disconnect(),
    () => kafkaHealth.close(),
    () => new Promise((resolve) => health.close(resolve)),
    () => prisma.$disconnect(),
  ]);
}

main().catch(exitOnStartupError(logger));
