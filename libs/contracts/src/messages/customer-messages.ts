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

/** order-management → customer-service: who is this customer, may they order? */
export const GetCustomer = defineRequest({
  type: 'GetCustomer',
  topic: Topics.customerRequests,
  request: z.object({ customerId: CustomerId }),
  reply: z.object({ customer: Customer.nullable() }),
});
