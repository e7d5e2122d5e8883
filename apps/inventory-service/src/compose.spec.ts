import { describeComposeApp } from '@orderline/testing';
import { InventoryServiceEnv } from './config';

// Static checks (no Docker engine needed) that the inventory-service compose service and image match what the app reads.
describeComposeApp({ app: 'inventory-service', env: InventoryServiceEnv, portVariable: 'HEALTH_PORT', kind: 'database-service' });
