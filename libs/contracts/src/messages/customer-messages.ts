import { z } from 'zod';
import { CustomerId } from '../orders';
import { Topics } from '../topics';
import { defineRequest } from './envelope';

export const Customer = z.object({
  id: CustomerId,
  name: z.string(),
  blocked: z.boolean(),
});
export type Customer = z.infer<typeof Customer>;

/** order-management → customer-service: who are these customers, may they order? Unknown ids are left out. */
export const GetCustomers = defineRequest({
  type: 'GetCustomers',
  topic: Topics.customerRequests,
  request: z.object({ customerIds: z.array(CustomerId).min(1).max(1_000) }),
  reply: z.object({ customers: z.array(Customer) }),
});
