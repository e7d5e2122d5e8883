import { z } from 'zod';
import { CommonEnv, ConsumerEnv, DatabaseEnv, loadConfig } from '@orderline/config';

export const InventoryServiceEnv = CommonEnv.extend(DatabaseEnv.shape).extend(ConsumerEnv.shape).extend({
  HEALTH_PORT: z.coerce.number().int().min(1).max(65_535).default(3003).describe('port of /health/live, /health/ready and /metrics'),
});

export const loadInventoryServiceConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(InventoryServiceEnv, env);
