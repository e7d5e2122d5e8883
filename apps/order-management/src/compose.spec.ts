import { describeComposeApp } from '@orderline/testing';
import { OrderManagementEnv } from './config';

// Static checks (no Docker engine needed) that the order-management compose service and image match what the app reads.
describeComposeApp({ app: 'order-management', env: OrderManagementEnv, portVariable: 'HEALTH_PORT', kind: 'database-service' });
