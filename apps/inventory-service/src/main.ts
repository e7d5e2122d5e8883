import { Topics } from '@orderline/contracts';
import { OutboxRepository, openDatabase } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import { startOutboxPruner, startOutboxRelay } from '@orderline/messaging';
import { exitOnStartupError, isReadsThread, startService } from '@orderline/runtime';
import { loadInventoryServiceConfig } from './config';
import { INVENTORY_OUTBOX_TABLE } from './db/inventory-outbox';
import { ProductRepository } from './db/product-repository';
import { StockLogRepository } from './db/stock-log-repository';
import { StockRepository } from './db/stock-repository';
import { inventoryQueriesConsumer } from './messaging/inventory-queries-consumer';
import { inventoryRequestsConsumer } from './messaging/inventory-requests-consumer';

const logger = createLogger('inventory-service');

async function main() {
  const config = loadInventoryServiceConfig();
  // the reads thread (the catalog, stock logs) runs this too, with connections of its own
  const database = openDatabase(isReadsThread() ? { ...config, DATABASE_POOL_SIZE: config.DATABASE_QUERY_POOL_SIZE } : config);
  const repositoryOptions = (eventsCommitted?: () => void) => ({ lowStockThreshold: config.LOW_STOCK_THRESHOLD, eventsCommitted });
  await startService({
    name: 'inventory-service',
    config,
    logger,
    database,
    healthPort: config.HEALTH_PORT,
    start: async ({ instanceId, publisher, consume }) => {
      // inventory.events leave through inventory's own outbox, relayed as order-management's is
      const outbox = new OutboxRepository(database.prisma, { table: INVENTORY_OUTBOX_TABLE });
      const relay = startOutboxRelay({ outbox, defaultTopic: Topics.inventoryEvents, publisher, logger, holder: instanceId });
      const pruner = startOutboxPruner({ outbox, retentionMs: config.OUTBOX_RETENTION_MS, logger });
      const options = repositoryOptions(() => relay.wake());
      const products = new ProductRepository(database.prisma, options);
      const stockLog = new StockLogRepository(database.prisma, options);
      await consume(inventoryRequestsConsumer({ publisher, stock: new StockRepository(database.prisma, options), products, stockLog }));
      return [() => relay.stop(), () => pruner.stop()];
    },
    reads: async ({ publisher, consume }) => {
      const options = repositoryOptions();
      const products = new ProductRepository(database.prisma, options);
      const stockLog = new StockLogRepository(database.prisma, options);
      await consume(inventoryQueriesConsumer({ publisher, handleConcurrently: config.DATABASE_QUERY_POOL_SIZE, products, stockLog }));
      return [];
    },
  });
}

main().catch(exitOnStartupError(logger));
