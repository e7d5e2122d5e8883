import { describeComposeApp } from '@orderline/testing';
import { NotificationServiceEnv } from './config';

// Static checks (no Docker engine needed) that the notification-service compose service and image match what the app reads.
describeComposeApp({ app: 'notification-service', env: NotificationServiceEnv, portVariable: 'HEALTH_PORT', kind: 'database-service' });
