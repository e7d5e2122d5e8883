import { backendServiceEnv, loadConfig } from '@orderline/config';

export const InventoryServiceEnv = backendServiceEnv(3003);

export const loadInventoryServiceConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(InventoryServiceEnv, env);
