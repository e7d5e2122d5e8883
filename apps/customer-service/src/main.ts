import { createLogger } from '@orderline/logging';
import { startBackendService } from '@orderline/backend-service';
import { exitOnStartupError } from '@orderline/runtime';
import { loadCustomerServiceConfig } from './config';
import { CustomerRepository } from './db/customer-repository';
import { startCustomerRequestsConsumer } from './messaging/customer-requests-consumer';

const logger = createLogger('customer-service');

async function main() {
  const config = loadCustomerServiceConfig();
  await startBackendService(
    'customer-service',
    config,
    logger,
    async ({ kafka, publisher, prisma }) => {
      const consumer = await startCustomerRequestsConsumer({
        kafka,
        publisher,
        customers: new CustomerRepository(prisma),
        logger,
        maxOutageMs: config.CONSUMER_MAX_OUTAGE_MS,
      });
      return [() => consumer.stop()];
    },
  );
}

main().catch(exitOnStartupError(logger));
