import { openDatabase } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import { exitOnStartupError, startService } from '@orderline/runtime';
import { loadInventoryServiceConfig } from './config';
import { ProductRepository } from './db/product-repository';
import { StockRepository } from './db/stock-repository';
import { inventoryQueriesConsumer } from './messaging/inventory-queries-consumer';
import { inventoryRequestsConsumer } from './messaging/inventory-requests-consumer';

const logger = createLogger('inventory-service');

async function main() {
  const config = loadInventoryServiceConfig();
  const database = openDatabase(config);
  await startService({
    name: 'inventory-service',
    config,
    logger,
    database,
    healthPort: config.HEALTH_PORT,
    start: async ({ publisher, consume }) => {
      await consume(inventoryQueriesConsumer({ publisher, products: new ProductRepository(database.prisma) }));
      await consume(inventoryRequestsConsumer({ publisher, stock: new StockRepository(database.prisma) }));
      return [];
    },
  });
}

main().catch(exitOnStartupError(logger));
