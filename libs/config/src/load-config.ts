import { z } from 'zod';

/**
 * Parses `env` with the app's schema. A missing or bad value stops the app before it serves,
 * with one line per problem naming the variable.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/**
 * Settings every app shares. Each variable's `.describe()` text is its description in
 * docs/configuration.md (`npm run docs:config` regenerates it).
 */
export const CommonEnv = z.object({
  NODE_ENV: z
    .enum(['development', 'test', 'production'])
    .default('development')
    .describe('`production` makes the gateway refuse a JWT_SECRET that is short or published (see JWT_SECRET)'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info').describe('lowest level logged; `http` adds one line per gateway request'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1))
    .describe('Kafka brokers, comma-separated `host:port`'),
  INSTANCE_ID: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(
      'Kafka client id; in gateway and order-management also the reply consumer group `<reply topic>.<INSTANCE_ID>`, so it must differ per instance; default `<app>-<8 random hex chars>`',
    ),
  REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(5_000)
    .describe('how long gateway and order-management wait for a reply; then the gateway answers 504 and order-management retries'),
  KAFKA_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(1_000_000)
    .default(900 * 1024)
    .describe(
      "largest message an app publishes (key + value + headers); larger ones are refused before they reach the broker. Keep it below the broker's `max.message.bytes` (1 MiB by default in Kafka and Redpanda); list pages and stock reservations are cut to fit it",
    ),
  KAFKA_PUBLISH_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(500)
    .max(120_000)
    .default(5_000)
    .describe(
      'how long a publish waits for the ack of the in-sync replicas (acks=all); then it fails (the gateway answers 503 with Retry-After) instead of hanging, e.g. while two of three brokers are down',
    ),
  HOST: z.string().default('127.0.0.1').describe('address the HTTP (gateway) or health server binds to; `0.0.0.0` in containers'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .max(2_000)
    .optional()
    .describe(
      'OpenTelemetry collector (OTLP over HTTP, JSON): when set, the app records spans and exports them to `<endpoint>/v1/traces`; unset, tracing is off (an incoming `traceparent` is still passed on unchanged). See docs/architecture.md, Traces',
    ),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(5_000)
    .describe('with tracing on: how long ended spans wait (ms) to be exported together'),
  OTEL_TRACES_SAMPLER: z
    .enum(['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on')
    .describe(
      'with tracing on: which traces starting in this app are recorded (all, none, or a ratio: OTEL_TRACES_SAMPLER_ARG); a trace that came in (`traceparent`) is recorded as its sampled flag says, so `parentbased_always_off` records only the traces callers ask for',
    ),
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe('with `parentbased_traceidratio`: the share of new traces recorded, 0 to 1'),
});

export const DatabaseEnv = z.object({
  DATABASE_URL: z
    .string()
    .default('postgresql://orderline:orderline@127.0.0.1:5432/orderline')
    .refine((url) => /^postgres(ql)?:\/\//.test(url), 'a postgresql:// URL')
    .describe('Postgres connection URL (`postgres://` or `postgresql://`)'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10).describe('Postgres connection pool size per instance'),
  // the defaults are libs/db's DEFAULT_DATABASE_OPTIONS (this lib does not depend on the database's)
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(15_000)
    .describe(
      "Postgres `statement_timeout` of every connection: a statement running longer is cancelled and the caller's bounded retry takes over",
    ),
  DATABASE_LOCK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(5_000)
    .describe('Postgres `lock_timeout` of every connection: a statement waiting longer for a row or advisory lock fails (and is retried)'),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(30_000)
    .describe(
      'Postgres `idle_in_transaction_session_timeout` of every connection: a session idle this long inside a transaction is ended, releasing its locks',
    ),
  DATABASE_POOL_WAIT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(5_000)
    .describe('how long a query waits for a pool connection (all busy, or a new one connecting) before it fails as "database unavailable"'),
});

export const DEV_JWT_SECRET = 'dev-secret-change-me';

/** Settings of the apps that consume commands and requests (order-management, customer-service, inventory-service). */
const ConsumerEnv = z.object({
  CONSUMER_MAX_OUTAGE_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(120_000)
    .describe(
      'how long a message waits out a dependency that keeps failing (database down, no reply, broker away) before it is dead-lettered; other failures are retried 5 times',
    ),
  CONSUMER_STALL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(30_000)
    .describe('/health/ready answers 503 while a partition with messages in hand has made no progress for this long'),
  WRITE_PATH_NICE: z.coerce
    .number()
    .int()
    .min(0)
    .max(19)
    .default(0)
    .describe(
      "niceness of the thread that does the write path's work (decisions, reservations, customer checks, deliveries), for services that share a machine with the gateway: above 0, reads (the gateway, the services' reads threads) get the CPU first and a backlog is worked off with what they leave, at the cost of write throughput when the machine is saturated (docs/scaling.md); 0 leaves it as started",
    ),
});

/** Settings of a service whose reads run in a thread of their own (order-management, inventory-service). */
/** For a service with a transactional outbox (order-management, inventory-service). */
export const OutboxEnv = z.object({
  OUTBOX_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .max(30 * 24 * 3_600_000)
    .default(3_600_000)
    .describe(
      'an outbox row is deleted this long after it was published (its event is in Kafka from then on; the row is kept only to look into what was sent): the table holds about this long of events, not every event ever written',
    ),
});

export const ReadsThreadEnv = z.object({
  DATABASE_QUERY_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(4)
    .describe(
      'Postgres connections of the reads thread (order lookups and lists, the catalog), apart from DATABASE_POOL_SIZE: a read never waits for a connection behind the writes',
    ),
});

/**
 * The settings of a service that owns tables and consumes from Kafka (order-management, customer-service,
 * inventory-service): the common ones, the database's, the consumers', and the port of its /health/* and
 * /metrics, which differs per service so that all of them can run on one machine.
 */
export function backendServiceEnv(defaultHealthPort: number) {
  return CommonEnv.extend(DatabaseEnv.shape)
    .extend(ConsumerEnv.shape)
    .extend({
      HEALTH_PORT: z.coerce
        .number()
        .int()
        .min(1)
        .max(65_535)
        .default(defaultHealthPort)
        .describe('port of /health/live, /health/ready and /metrics'),
    });
}
