import { z } from 'zod';
import { CommonEnv, DatabaseEnv, loadConfig } from '@orderline/config';

export const CustomerServiceEnv = CommonEnv.extend(DatabaseEnv.shape).extend({
  /** port of /health/live and /health/ready */
  HEALTH_PORT: z.coerce.number().int().min(1).max(65_535).default(3002),
});

export const loadCustomerServiceConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(CustomerServiceEnv, env);
