import { ConsumerGroups, GetCustomers, Topics } from '@orderline/contracts';
import { onRequest, type ConsumerDefinition, type ReplySender } from '@orderline/messaging';
import type { CustomerRepository } from '../db/customer-repository';

/** `customers.requests`: GetCustomers, answered from the customers table. */
export function customerRequestsConsumer(deps: {
  publisher: ReplySender;
  customers: Pick<CustomerRepository, 'findMany'>;
}): ConsumerDefinition {
  return {
    groupId: ConsumerGroups.customerService,
    topics: [Topics.customerRequests],
    routes: [
      onRequest(GetCustomers, deps.publisher, async ({ customerIds }) => ({
        customers: await deps.customers.findMany(customerIds),
      })),
    ],
  };
}
