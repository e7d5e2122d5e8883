import { DEV_JWT_SECRET } from '@orderline/config';
import { describeComposeApp } from '@orderline/testing';
import { GatewayEnv } from './config';

// Static checks (no Docker engine needed) that the gateway's compose service and image match what the app reads.
describeComposeApp({
  app: 'gateway',
  env: GatewayEnv,
  portVariable: 'PORT',
  kind: 'gateway',
  // production mode enforces a real JWT secret
  containerEnvMatches: (env) => expect(env.JWT_SECRET).not.toBe(DEV_JWT_SECRET),
});
