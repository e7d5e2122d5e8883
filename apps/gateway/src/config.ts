import { z } from 'zod';
import { CommonEnv, DEV_JWT_SECRET, loadConfig } from '@orderline/config';

export const GatewayEnv = CommonEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000).describe('HTTP port of the API, /health/* and /metrics'),
  ADMISSION_MAX_DECISION_LAG_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(5_000)
    .describe(
      'admission control: while order-management is further behind than this (the oldest undecided order has waited longer), new orders are answered 503 with Retry-After instead of queued',
    ),
  ACCEPTED_ORDERS_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_048_576)
    .max(4_294_967_296)
    .default(64 * 1_048_576)
    .describe('memory for the accepted, undecided orders each gateway answers as PENDING itself (the oldest beyond it are read from order-management)'),
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
}).refine((env) => !(env.NODE_ENV === 'production' && env.JWT_SECRET === DEV_JWT_SECRET), {
  path: ['JWT_SECRET'],
  message: 'must be set to a real secret when NODE_ENV=production',
});
export type GatewayConfig = z.infer<typeof GatewayEnv>;

export const loadGatewayConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(GatewayEnv, env);
