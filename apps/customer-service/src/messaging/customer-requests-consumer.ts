import { ConsumerGroups, GetCustomers, Topics } from '@orderline/contracts';
import { isDatabaseUnavailable, isPermanentDataError } from '@orderline/db';
import type { Logger } from '@orderline/logging';
import { onRequest, startConsumer, type Publisher } from '@orderline/messaging';
import type { Kafka } from '@orderline/messaging';
import type { CustomerRepository } from '../db/customer-repository';

/** Answers GetCustomers requests from `customers.requests`. */
export function startCustomerRequestsConsumer(deps: {
  kafka: Kafka;
  publisher: Publisher;
  customers: CustomerRepository;
  logger: Logger;
  /** how long a message waits out a dependency outage before it is dead-lettered */
  maxOutageMs?: number;
}) {
  return startConsumer({
    kafka: deps.kafka,
    groupId: ConsumerGroups.customerService,
    topics: [Topics.customerRequests],
    publisher: deps.publisher,
    logger: deps.logger,
    isPermanent: isPermanentDataError,
    isTransient: isDatabaseUnavailable,
    maxOutageMs: deps.maxOutageMs,
    routes: [
      onRequest(GetCustomers, deps.publisher, async ({ customerIds }) => ({
        customers: await deps.customers.findMany(customerIds),
      })),
    ],
  });
}
