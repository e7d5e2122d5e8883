import { openDatabase } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import { exitOnStartupError, startService } from '@orderline/runtime';
import { loadCustomerServiceConfig } from './config';
import { CustomerRepository } from './db/customer-repository';
import { customerRequestsConsumer } from './messaging/customer-requests-consumer';

const logger = createLogger('customer-service');

async function main() {
  const config = loadCustomerServiceConfig();
  const database = openDatabase(config);
  await startService({
    name: 'customer-service',
    config,
    logger,
    database,
    healthPort: config.HEALTH_PORT,
    start: async ({ publisher, consume }) => {
      await consume(customerRequestsConsumer({ publisher, customers: new CustomerRepository(database.prisma) }));
      return [];
    },
  });
}

main().catch(exitOnStartupError(logger));
