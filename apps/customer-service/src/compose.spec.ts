import { describeComposeApp } from '@orderline/testing';
import { CustomerServiceEnv } from './config';

// Static checks (no Docker engine needed) that the customer-service compose service and image match what the app reads.
describeComposeApp({ app: 'customer-service', env: CustomerServiceEnv, portVariable: 'HEALTH_PORT', kind: 'database-service' });
