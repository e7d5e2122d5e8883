import { z } from 'zod';
import { OutboxEnv, ReadsThreadEnv, backendServiceEnv, loadConfig } from '@orderline/config';
import { MAX_STOCK_QUANTITY } from '@orderline/contracts';

export const InventoryServiceEnv = backendServiceEnv(3003)
  .extend(ReadsThreadEnv.shape)
  .extend(OutboxEnv.shape)
  .extend({
    LOW_STOCK_THRESHOLD: z.coerce
      .number()
      .int()
      .min(0)
      .max(MAX_STOCK_QUANTITY)
      .default(10)
      .describe(
        'the available quantity at or below which a product is low on stock, for products without a lowStockThreshold of their own: a change that takes the stock from above it to it or below publishes LowStock on inventory.events',
      ),
  });

export const loadInventoryServiceConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(InventoryServiceEnv, env);
