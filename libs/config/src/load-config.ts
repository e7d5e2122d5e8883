import { z } from 'zod';

/**
 * Parses `env` with the app's schema. A missing or bad value stops the app before it serves,
 * with one line per problem naming the variable.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/** Settings every app shares. */
export const CommonEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) => value.split(',').map((broker) => broker.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1)),
  /** Distinguishes instances of one app (reply routing, logs); defaults to a random id. */
  INSTANCE_ID: z.string().min(1).max(100).optional(),
  /** How long a request/reply waits for its answer. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  HOST: z.string().default('127.0.0.1'),
});

export const DatabaseEnv = z.object({
  DATABASE_URL: z
    .string()
    .default('postgresql://orderline:orderline@127.0.0.1:5432/orderline')
    .refine((url) => /^postgres(ql)?:\/\//.test(url), 'a postgresql:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
});

export const DEV_JWT_SECRET = 'dev-secret-change-me';
