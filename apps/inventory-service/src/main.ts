import { createLogger } from '@orderline/logging';
import { exitOnStartupError, startBackendService } from '@orderline/runtime';
import { loadInventoryServiceConfig } from './config';
import { ProductRepository } from './db/product-repository';
import { StockRepository } from './db/stock-repository';
import { startInventoryRequestsConsumer } from './messaging/inventory-requests-consumer';

const logger = createLogger('inventory-service');

async function main() {
  const config = loadInventoryServiceConfig();
  await startBackendService(
    'inventory-service',
    config,
    logger,
    async ({ kafka, publisher, prisma }) => {
      const consumer = await startInventoryRequestsConsumer({
        kafka,
        publisher,
        products: new ProductRepository(prisma),
        stock: new StockRepository(prisma),
        logger,
        maxOutageMs: config.CONSUMER_MAX_OUTAGE_MS,
      });
      return [() => consumer.stop()];
    },
  );
}

main().catch(exitOnStartupError(logger));
