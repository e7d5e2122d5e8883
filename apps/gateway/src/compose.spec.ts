import { REQUIRED_COMPOSE_VARIABLES, describeComposeApp } from '@orderline/testing';
import { GatewayEnv } from './config';

// Static checks (no Docker engine needed) that the gateway's compose service and image match what the app reads.
describeComposeApp({
  app: 'gateway',
  env: GatewayEnv,
  portVariable: 'PORT',
  kind: 'gateway',
  // the secret is the deployment's (compose has no default for it), and passes the production checks
  containerEnvMatches: (env) => expect(env.JWT_SECRET).toBe(REQUIRED_COMPOSE_VARIABLES['JWT_SECRET']),
});
