import { z } from 'zod';
import { CommonEnv, ConsumerEnv, DatabaseEnv, loadConfig } from '@orderline/config';

export const CustomerServiceEnv = CommonEnv.extend(DatabaseEnv.shape).extend(ConsumerEnv.shape).extend({
  HEALTH_PORT: z.coerce.number().int().min(1).max(65_535).default(3002).describe('port of /health/live, /health/ready and /metrics'),
});

export const loadCustomerServiceConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(CustomerServiceEnv, env);
