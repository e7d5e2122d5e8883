import { Topics } from '@orderline/contracts';
import { OutboxRepository, openDatabase } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import { Requester, startOutboxPruner, startOutboxRelay } from '@orderline/messaging';
import { exitOnStartupError, isReadsThread, startService } from '@orderline/runtime';
import { loadOrderManagementConfig } from './config';
import { OrderRepository } from './db/order-repository';
import { orderCommandsConsumer } from './messaging/order-commands-consumer';
import { orderQueriesConsumer } from './messaging/order-queries-consumer';
import { trackOutboxBacklog } from './messaging/order-metrics';

const logger = createLogger('order-management');

async function main() {
  const config = loadOrderManagementConfig();
  // the reads thread (LookupOrder, ListOrders) runs this too: it gets connections of its own, so a
  // read never waits for a pooled connection behind the decisions
  const database = openDatabase(isReadsThread() ? { ...config, DATABASE_POOL_SIZE: config.DATABASE_QUERY_POOL_SIZE } : config);
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
      const pruner = startOutboxPruner({ outbox, retentionMs: config.OUTBOX_RETENTION_MS, logger });
      const orders = new OrderRepository(database.prisma, () => relay.wake());
      await consume(
        orderCommandsConsumer({ publisher, requester, orders, logger, maxOpenOrdersPerCustomer: config.MAX_OPEN_ORDERS_PER_CUSTOMER }),
      );
      return [() => relay.stop(), () => pruner.stop(), () => requester.stop()];
    },
    reads: async ({ publisher, consume }) => {
      const orders = new OrderRepository(database.prisma, () => undefined);
      await consume(orderQueriesConsumer({ publisher, handleConcurrently: config.DATABASE_QUERY_POOL_SIZE, orders }));
      return [];
    },
  });
}

main().catch(exitOnStartupError(logger));
