import { z } from 'zod';
import { CommonEnv, ConsumerEnv, DatabaseEnv, loadConfig } from '@orderline/config';

export const OrderManagementEnv = CommonEnv.extend(DatabaseEnv.shape).extend(ConsumerEnv.shape).extend({
  HEALTH_PORT: z.coerce.number().int().min(1).max(65_535).default(3001).describe('port of /health/live, /health/ready and /metrics'),
  MAX_OPEN_ORDERS_PER_CUSTOMER: z.coerce
    .number()
    .int()
    .min(1)
    .default(10_000)
    .describe(
      'open orders (PENDING or CONFIRMED: placed, not yet shipped, cancelled or rejected) a customer may have; a new order beyond them is REJECTED with TOO_MANY_OPEN_ORDERS before any stock is reserved',
    ),
});

export const loadOrderManagementConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(OrderManagementEnv, env);
