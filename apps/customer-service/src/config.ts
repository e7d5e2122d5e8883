import { backendServiceEnv, loadConfig } from '@orderline/config';

export const CustomerServiceEnv = backendServiceEnv(3002);

export const loadCustomerServiceConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(CustomerServiceEnv, env);
