import { createLogger } from '@orderline/logging';
import { startBackendService } from '@orderline/backend-service';
import { exitOnStartupError } from '@orderline/runtime';
import { loadInventoryServiceConfig } from './config';
import { ProductRepository } from './db/product-repository';
import { StockRepository } from './db/stock-repository';
import { startInventoryQueriesConsumer } from './messaging/inventory-queries-consumer';
import { startInventoryRequestsConsumer } from './messaging/inventory-requests-consumer';

const logger = createLogger('inventory-service');

async function main() {
  const config = loadInventoryServiceConfig();
  await startBackendService(
    'inventory-service',
    config,
    logger,
    async ({ kafka, publisher, prisma }) => {
      const maxOutageMs = config.CONSUMER_MAX_OUTAGE_MS;
      const queries = await startInventoryQueriesConsumer({ kafka, publisher, products: new ProductRepository(prisma), logger, maxOutageMs });
      const requests = await startInventoryRequestsConsumer({ kafka, publisher, stock: new StockRepository(prisma), logger, maxOutageMs });
      return [() => queries.stop(), () => requests.stop()];
    },
  );
}

main().catch(exitOnStartupError(logger));
