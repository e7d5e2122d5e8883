import { Topics } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { Requester } from '@orderline/messaging';
import { startBackendService } from '@orderline/backend-service';
import { exitOnStartupError } from '@orderline/runtime';
import { loadOrderManagementConfig } from './config';
import { OrderRepository } from './db/order-repository';
import { OutboxRepository } from './db/outbox-repository';
import { startOrderCommandsConsumer } from './messaging/order-commands-consumer';
import { startOrderQueriesConsumer } from './messaging/order-queries-consumer';
import { trackOutboxBacklog } from './messaging/order-metrics';
import { startOutboxRelay } from './messaging/outbox-relay';

const logger = createLogger('order-management');

async function main() {
  const config = loadOrderManagementConfig();
  await startBackendService(
    'order-management',
    config,
    logger,
    async ({ instanceId, kafka, publisher, prisma }) => {
      const requester = new Requester({
        kafka,
        publisher,
        replyTopic: Topics.orderManagementReplies,
        instanceId,
        logger,
        timeoutMs: config.REQUEST_TIMEOUT_MS,
      });
      await requester.start();
      const outbox = new OutboxRepository(prisma);
      trackOutboxBacklog(outbox);
      const relay = startOutboxRelay({
        outbox,
        publisher,
        logger,
        holder: instanceId,
      });
      const orders = new OrderRepository(prisma, () => relay.wake());
      const queries = await startOrderQueriesConsumer({ kafka, publisher, orders, logger, maxOutageMs: config.CONSUMER_MAX_OUTAGE_MS });
      const consumer = await startOrderCommandsConsumer({
        kafka,
        publisher,
        requester,
        orders,
        logger,
        maxOutageMs: config.CONSUMER_MAX_OUTAGE_MS,
        maxOpenOrdersPerCustomer: config.MAX_OPEN_ORDERS_PER_CUSTOMER,
      });
      return [
        () => queries.stop(),
        () => consumer.stop(),
        () => relay.stop(),
        () => requester.stop(),
      ];
    },
  );
}

main().catch(exitOnStartupError(logger));
