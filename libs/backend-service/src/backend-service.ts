import { topicSpecs } from '@orderline/contracts';
import { createPrismaClient, isDatabaseReachable, type PrismaClient } from '@orderline/db';
import type { Logger } from '@orderline/logging';
import { KafkaHealth, Publisher, createKafka, stalledConsumers, ensureTopics, newInstanceId, type Kafka } from '@orderline/messaging';
import { initMetrics, onShutdown, startHealthServer } from '@orderline/runtime';

export interface BackendServiceConfig {
  INSTANCE_ID?: string;
  KAFKA_BROKERS: string[];
  KAFKA_MAX_MESSAGE_BYTES: number;
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
  DATABASE_STATEMENT_TIMEOUT_MS: number;
  DATABASE_LOCK_TIMEOUT_MS: number;
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: number;
  DATABASE_POOL_WAIT_TIMEOUT_MS: number;
  HOST: string;
  HEALTH_PORT: number;
  CONSUMER_STALL_MS: number;
}

export interface BackendServiceDeps {
  instanceId: string;
  prisma: PrismaClient;
  kafka: Kafka;
  publisher: Publisher;
  logger: Logger;
}

/**
 * The wiring every service that owns a database shares: Prisma pool, Kafka client with the topics
 * ensured, a publisher, /health/live + /health/ready (Kafka, the database, no stalled consumer) + /metrics, and a graceful
 * shutdown. `start` starts the service's own work and returns how to stop it; on SIGTERM those
 * steps run first (stop taking work), then the publisher, the health server and the pool close.
 */
export async function startBackendService(
  name: string,
  config: BackendServiceConfig,
  logger: Logger,
  start: (deps: BackendServiceDeps) => Promise<Array<() => Promise<unknown>>>,
): Promise<void> {
  initMetrics(name);
  const instanceId = config.INSTANCE_ID ?? newInstanceId(name);
  const prisma = createPrismaClient(config.DATABASE_URL, {
    poolSize: config.DATABASE_POOL_SIZE,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: config.DATABASE_LOCK_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    poolWaitTimeoutMs: config.DATABASE_POOL_WAIT_TIMEOUT_MS,
  });
  const kafka = createKafka({
    clientId: instanceId,
    brokers: config.KAFKA_BROKERS,
    logger,
  });
  await ensureTopics(kafka, topicSpecs);
  const publisher = new Publisher(kafka, {
    maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES,
    knownTopics: topicSpecs.map((spec) => spec.topic),
  });
  await publisher.connect();
  const kafkaHealth = new KafkaHealth(kafka);

  const stopWork = await start({
    instanceId,
    prisma,
    kafka,
    publisher,
    logger,
  });
  const health = await startHealthServer({
    host: config.HOST,
    port: config.HEALTH_PORT,
    logger,
    checks: {
      kafka: () => kafkaHealth.isReachable(),
      database: () => isDatabaseReachable(prisma),
      consumers: async () => {
        const stalled = stalledConsumers(config.CONSUMER_STALL_MS);
        if (stalled.length > 0) logger.warn('consumer made no progress', { stalled, forMs: config.CONSUMER_STALL_MS });
        return stalled.length === 0;
      },
    },
  });

  onShutdown(logger, [
    ...stopWork,
    () => publisher.disconnect(),
    () => kafkaHealth.close(),
    () => new Promise((resolve) => health.close(resolve)),
    () => prisma.$disconnect(),
  ]);
}
