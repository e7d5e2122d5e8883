import { z } from 'zod';
import { CommonEnv, ConsumerEnv, DatabaseEnv, loadConfig } from '@orderline/config';

export const OrderManagementEnv = CommonEnv.extend(DatabaseEnv.shape).extend(ConsumerEnv.shape).extend({
  HEALTH_PORT: z.coerce.number().int().min(1).max(65_535).default(3001).describe('port of /health/live, /health/ready and /metrics'),
});

export const loadOrderManagementConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(OrderManagementEnv, env);
