import { z } from 'zod';
import { CommonEnv, DatabaseEnv, loadConfig } from '@orderline/config';

export const OrderManagementEnv = CommonEnv.extend(DatabaseEnv.shape).extend({
  /** port of /health/live and /health/ready */
  HEALTH_PORT: z.coerce.number().int().min(1).max(65_535).default(3001),
});

export const loadOrderManagementConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(OrderManagementEnv, env);
