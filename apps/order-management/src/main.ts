import { Topics, topicSpecs } from '@orderline/contracts';
import { OutboxRepository, openDatabase } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import { Publisher, Requester, startOutboxRelay } from '@orderline/messaging';
import { exitOnStartupError, startService } from '@orderline/runtime';
import { loadOrderManagementConfig } from './config';
import { OrderRepository } from './db/order-repository';
import { orderCommandsConsumer } from './messaging/order-commands-consumer';
import { orderQueriesConsumer } from './messaging/order-queries-consumer';
import { trackOutboxBacklog } from './messaging/order-metrics';

const logger = createLogger('order-management');

async function main() {
  const config = loadOrderManagementConfig();
  const database = openDatabase(config);
  await startService({
    name: 'order-management',
    config,
    logger,
    database,
    healthPort: config.HEALTH_PORT,
    start: async ({ instanceId, kafka, publisher, consume }) => {
      const requester = new Requester({
        kafka,
        publisher,
        replyTopic: Topics.orderManagementReplies,
        instanceId,
        logger,
        timeoutMs: config.REQUEST_TIMEOUT_MS,
      });
      await requester.start();
      const outbox = new OutboxRepository(database.prisma);
      trackOutboxBacklog(outbox);
      const relay = startOutboxRelay({ outbox, defaultTopic: Topics.orderEvents, publisher, logger, holder: instanceId });
      const orders = new OrderRepository(database.prisma, () => relay.wake());
      // the reads have their own connections and their own producer: under a backlog of decisions
      // they wait neither for a pooled connection nor behind the decisions' produce requests
      const queryDatabase = openDatabase({ ...config, DATABASE_POOL_SIZE: config.DATABASE_QUERY_POOL_SIZE });
      const replies = new Publisher(kafka, {
        maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES,
        timeoutMs: config.KAFKA_PUBLISH_TIMEOUT_MS,
        knownTopics: topicSpecs.map((s) => s.topic),
      });
      await replies.connect();
      await consume(orderQueriesConsumer({ publisher: replies, orders: new OrderRepository(queryDatabase.prisma, () => undefined) }));
      await consume(
        orderCommandsConsumer({ publisher, requester, orders, logger, maxOpenOrdersPerCustomer: config.MAX_OPEN_ORDERS_PER_CUSTOMER }),
      );
      return [() => relay.stop(), () => requester.stop(), () => replies.disconnect(), () => queryDatabase.close()];
    },
  });
}

main().catch(exitOnStartupError(logger));
