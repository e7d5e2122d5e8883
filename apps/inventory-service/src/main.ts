import { createLogger } from '@orderline/logging';
import { exitOnStartupError, startBackendService } from '@orderline/runtime';
import { loadInventoryServiceConfig } from './config';
import { ProductRepository } from './db/product-repository';
import { StockRepository } from './db/stock-repository';
import { startInventoryRequestsConsumer } from './messaging/inventory-requests-consumer';

const logger = createLogger('inventory-service');

async function main() {
  await startBackendService(
    'inventory-service',
    loadInventoryServiceConfig(),
    logger,
    async ({ kafka, publisher, prisma }) => {
      const consumer = await startInventoryRequestsConsumer({
        kafka,
        publisher,
        products: new ProductRepository(prisma),
        stock: new StockRepository(prisma),
        logger,
      });
      return [() => consumer.stop()];
    },
  );
}

main().catch(exitOnStartupError(logger));
