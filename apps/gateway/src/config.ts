import { z } from 'zod';
import { CommonEnv, DEV_JWT_SECRET, loadConfig } from '@orderline/config';
import { ConsumerGroups } from '@orderline/contracts';
import { DEFAULT_CUSTOMER_LIMITS } from './http/customer-limits';

export const GatewayEnv = CommonEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000).describe('HTTP port of the API, /health/* and /metrics'),
  JWT_SECRET: z
    .string()
    .min(16, 'at least 16 characters')
    .default(DEV_JWT_SECRET)
    .describe('HS256 key the bearer tokens are signed and verified with; the default is refused when NODE_ENV=production'),
  JWT_PREVIOUS_SECRET: z
    .string()
    .min(16, 'at least 16 characters')
    .optional()
    .describe('during a rotation only: the key JWT_SECRET replaced, still accepted for tokens signed before (see docs/runbook.md); unset it once they have expired'),
  ORDER_RATE_LIMIT_PER_SECOND: z.coerce
    .number()
    .min(1)
    .default(DEFAULT_CUSTOMER_LIMITS.orderRequestsPerSecond)
    .describe(
      'order requests (POST, PATCH, PUT, DELETE on /api/v1/orders…) a customer may send per second, all gateway instances together (each allows its share, see GATEWAY_PEERS_GROUP); over it: 429 with Retry-After',
    ),
  ORDER_RATE_LIMIT_BURST: z.coerce
    .number()
    .min(1)
    .default(DEFAULT_CUSTOMER_LIMITS.orderRequestBurst)
    .describe('order requests a customer may send at once after being idle (the token bucket\'s size), all gateway instances together'),
  ORDER_MAX_QUANTITY_PER_PRODUCT: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(DEFAULT_CUSTOMER_LIMITS.maxQuantityPerProduct)
    .describe('units of one product one order may hold (the API contract allows up to 1000); a line over it: 422 naming the line'),
  GATEWAY_PEERS_GROUP: z
    .string()
    .min(1)
    .default(ConsumerGroups.gatewayPeers)
    .describe(
      'Kafka consumer group every gateway instance joins (on the gateway.peers topic) to count the live instances N; each enforces 1/N of the per-customer rate limit. Instances of one deployment must share it',
    ),
  GATEWAY_PEERS_REFRESH_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(3000)
    .describe('how often an instance re-reads the number of members of GATEWAY_PEERS_GROUP'),
}).refine((env) => !(env.NODE_ENV === 'production' && env.JWT_SECRET === DEV_JWT_SECRET), {
  path: ['JWT_SECRET'],
  message: 'must be set to a real secret when NODE_ENV=production',
});
export type GatewayConfig = z.infer<typeof GatewayEnv>;

export const loadGatewayConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(GatewayEnv, env);
