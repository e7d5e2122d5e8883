import { z } from 'zod';
import { OutboxEnv, ReadsThreadEnv, backendServiceEnv, loadConfig } from '@orderline/config';

export const OrderManagementEnv = backendServiceEnv(3001)
  .extend(ReadsThreadEnv.shape)
  .extend(OutboxEnv.shape)
  .extend({
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
