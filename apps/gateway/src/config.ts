import { z } from 'zod';
import { CommonEnv, DEV_JWT_SECRET, loadConfig } from '@orderline/config';
import { ConsumerGroups } from '@orderline/contracts';
import { DEFAULT_CUSTOMER_LIMITS } from './http/customer-limits';

/**
 * What docker-compose.yml passed as JWT_SECRET when none was set, before it required one: public,
 * and a stack started from it may still run with it.
 */
export const COMPOSE_EXAMPLE_JWT_SECRET = 'please-change-this-secret-in-production';

/** An HS256 key needs at least 256 bits (RFC 7518 §3.2); jsonwebtoken uses the key's UTF-8 bytes. */
const MIN_PRODUCTION_SECRET_BYTES = 32;

const PUBLISHED_SECRETS = new Map([
  [DEV_JWT_SECRET, 'the dev default'],
  [COMPOSE_EXAMPLE_JWT_SECRET, "docker-compose.yml's old example value"],
]);
const HOW_TO_MAKE_ONE = `a random secret of at least ${MIN_PRODUCTION_SECRET_BYTES} bytes, e.g. \`openssl rand -base64 48\``;

/** Why `secret` may not sign or verify tokens in production, or undefined when it may. */
function productionSecretProblem(secret: string): string | undefined {
  const published = PUBLISHED_SECRETS.get(secret);
  if (published) return `is ${published}, which anyone can read: set ${HOW_TO_MAKE_ONE}`;
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_PRODUCTION_SECRET_BYTES) return `is ${bytes} bytes, too short for NODE_ENV=production: set ${HOW_TO_MAKE_ONE}`;
  return undefined;
}

/**
 * Runs a cross-variable check whenever the variables it reads are valid, even if others are not,
 * so one start-up prints every problem (zod skips object checks after any field issue by default).
 */
const whenValid = (...names: string[]): z.core.$ZodSuperRefineParams => ({
  when: (payload) => !payload.issues.some((issue) => names.includes(String(issue.path?.[0]))),
});

const milliseconds = (defaultMs: number, maxMs: number) => z.coerce.number().int().min(100).max(maxMs).default(defaultMs);

export const GatewayEnv = CommonEnv.extend({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000).describe('HTTP port of the API, /health/* and /metrics'),
  ADMISSION_MAX_DECISION_LAG_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(5_000)
    .describe(
      'admission control: while an order accepted now would wait longer than this to be decided (the oldest undecided order has waited longer, or order-management, busy, would take longer for the undecided ones at its recent rate), new orders are answered 503 with Retry-After instead of queued',
    ),
  ACCEPTED_ORDERS_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_048_576)
    .max(4_294_967_296)
    .default(64 * 1_048_576)
    .describe(
      'memory for the accepted, undecided orders each gateway answers as PENDING itself (the oldest beyond it are read from order-management)',
    ),
  RECENT_ORDERS_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_048_576)
    .max(4_294_967_296)
    .default(64 * 1_048_576)
    .describe(
      'memory for the recently changed orders each gateway answers itself from orders.events (the oldest beyond it, and any older than 10 minutes, are read from order-management)',
    ),
  ORDER_LISTS_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(4_294_967_296)
    .default(32 * 1_048_576)
    .describe(
      "memory for the customers' first pages of their order list each gateway answers itself, kept current from orders.events (the least recently read go first; 0: order-management answers every list)",
    ),
  ORDER_LISTS_IDLE_MS: milliseconds(300_000, 3_600_000).describe(
    "a held first page of a customer's order list that nobody read for this long is let go",
  ),
  ORDER_LISTS_REFRESH_MS: milliseconds(30_000, 3_600_000).describe(
    'a held first page is read again from order-management this long after it was, in the background (it is kept current from orders.events meanwhile)',
  ),
  CATALOG_FRESH_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(1_000)
    .describe(
      'a catalog page or product a gateway holds is served to customers without asking inventory-service for this long (0: not held, every read asks); admins always read it from inventory-service',
    ),
  CATALOG_MAX_STALE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(30_000)
    .describe(
      'after CATALOG_FRESH_MS and up to this age, a held catalog answer is served at once while it is refreshed in the background (and kept if the refresh fails); older, the read waits for inventory-service',
    ),
  CATALOG_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .max(1_073_741_824)
    .default(8 * 1_048_576)
    .describe('memory for the catalog answers each gateway holds (the least recently read go first)'),
  JWT_SECRET: z
    .string()
    .min(16, 'at least 16 characters')
    .default(DEV_JWT_SECRET)
    .describe(
      `HS256 key the bearer tokens are signed and verified with; with NODE_ENV=production it must be at least ${MIN_PRODUCTION_SECRET_BYTES} bytes (UTF-8) and neither the default nor docker-compose.yml's old example`,
    ),
  JWT_PREVIOUS_SECRET: z
    .string()
    .min(16, 'at least 16 characters')
    .optional()
    .describe(
      'during a rotation only: the key JWT_SECRET replaced, still accepted for tokens signed before (see docs/runbook.md); unset it once they have expired. In production the same rules as JWT_SECRET, and not equal to it',
    ),
  // Bounds on slow clients (node's http.Server options; see http/server.ts)
  HTTP_LISTENERS: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(8)
    .describe(
      'listening sockets on PORT (SO_REUSEPORT, Linux): node accepts one new connection per event-loop iteration and socket, so under overload (iterations of 100–300 ms) one socket took in 3–10 connections a second and new clients waited seconds; each socket adds one per iteration',
    ),
  HTTP_LISTEN_BACKLOG: z.coerce
    .number()
    .int()
    .min(1)
    .max(65_535)
    .default(4_096)
    .describe(
      "connections the kernel holds for the gateway until it accepts them (the kernel caps it at net.core.somaxconn); beyond it a client's connection attempt is dropped and retried after 1 s, 3 s, 7 s … (node's default, 511, overflowed under a flood of new connections: reads waited ~10 s for a connection)",
    ),
  HTTP_HEADERS_TIMEOUT_MS: milliseconds(10_000, 300_000).describe(
    'a client must send its request headers within this time of connecting (or of starting its next request), else 408 and the connection is closed',
  ),
  HTTP_REQUEST_TIMEOUT_MS: milliseconds(30_000, 600_000).describe(
    'a client must send its whole request, body included, within this time, else 408 and the connection is closed; at least HTTP_HEADERS_TIMEOUT_MS',
  ),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: milliseconds(5_000, 600_000).describe(
    'an idle keep-alive connection is closed after this time (node adds 1 s of grace); behind a load balancer, set it above the idle timeout of the balancer',
  ),
  HTTP_IDLE_TIMEOUT_MS: milliseconds(60_000, 600_000).describe(
    'a connection with a request in flight but no traffic either way for this long is closed (a client that stops reading its response); above REQUEST_TIMEOUT_MS',
  ),
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
    .describe("order requests a customer may send at once after being idle (the token bucket's size), all gateway instances together"),
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
  // Server-sent events and long-polls (http/order-streams.ts)
  SSE_HEARTBEAT_MS: milliseconds(15_000, 300_000).describe(
    'an SSE stream sends a comment line this often, so proxies and HTTP_IDLE_TIMEOUT_MS do not close a quiet stream and a dead client is found; below HTTP_IDLE_TIMEOUT_MS',
  ),
  SSE_MAX_BUFFERED_BYTES: z.coerce
    .number()
    .int()
    .min(1_024)
    .max(67_108_864)
    .default(1_048_576)
    .describe(
      "bytes one SSE stream may have queued in the gateway for a client that does not read (the socket's kernel buffers are full); beyond it the client is cut off",
    ),
  SSE_MAX_STREAMS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(10_000)
    .describe(
      'SSE streams and long-polls one gateway instance holds at once; beyond: 503 with Retry-After (a long-poll is answered at once)',
    ),
  SSE_MAX_STREAMS_PER_CUSTOMER: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(10)
    .describe(
      'SSE streams and long-polls one customer (an admin counts as one) holds at once on one gateway instance; beyond: 429 with Retry-After (a long-poll is answered at once)',
    ),
  SSE_REPLAY_MAX_EVENTS: z.coerce
    .number()
    .int()
    .min(100)
    .max(10_000_000)
    .default(100_000)
    .describe(
      'recent order events each gateway instance keeps for streams resuming with Last-Event-ID (an instance also holds only what it read since its start, from a minute before); older: the order stream restarts with the current order, the stream of all changes answers 410',
    ),
  SSE_REPLAY_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_048_576)
    .max(4_294_967_296)
    .default(64 * 1_048_576)
    .describe('memory for the events kept for resuming streams (see SSE_REPLAY_MAX_EVENTS): the oldest go first'),
  LONG_POLL_MAX_WAIT_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(30)
    .default(30)
    .describe('the longest `Prefer: wait=N` a GET of one order honours, seconds (a longer one is cut to it); below HTTP_IDLE_TIMEOUT_MS'),
  GATEWAY_PEERS_REFRESH_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(3000)
    .describe('how often an instance re-reads the number of members of GATEWAY_PEERS_GROUP'),
})
  .superRefine(
    (env, ctx) => {
      if (env.NODE_ENV !== 'production') return;
      const current = productionSecretProblem(env.JWT_SECRET);
      if (current) ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: current });
      if (env.JWT_PREVIOUS_SECRET === undefined) return;
      const previous =
        env.JWT_PREVIOUS_SECRET === env.JWT_SECRET
          ? 'equals JWT_SECRET: set it to the key JWT_SECRET replaced, or unset it'
          : productionSecretProblem(env.JWT_PREVIOUS_SECRET);
      if (previous) ctx.addIssue({ code: 'custom', path: ['JWT_PREVIOUS_SECRET'], message: previous });
    },
    whenValid('NODE_ENV', 'JWT_SECRET', 'JWT_PREVIOUS_SECRET'),
  )
  .superRefine(
    (env, ctx) => {
      if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
        const message = `must be at least HTTP_HEADERS_TIMEOUT_MS (${env.HTTP_HEADERS_TIMEOUT_MS})`;
        ctx.addIssue({ code: 'custom', path: ['HTTP_REQUEST_TIMEOUT_MS'], message });
      }
      if (env.HTTP_IDLE_TIMEOUT_MS <= env.SSE_HEARTBEAT_MS) {
        const message = `must be above SSE_HEARTBEAT_MS (${env.SSE_HEARTBEAT_MS}), or a quiet SSE stream is cut off`;
        ctx.addIssue({ code: 'custom', path: ['HTTP_IDLE_TIMEOUT_MS'], message });
      }
      if (env.HTTP_IDLE_TIMEOUT_MS <= env.LONG_POLL_MAX_WAIT_S * 1000) {
        const message = `must be above LONG_POLL_MAX_WAIT_S (${env.LONG_POLL_MAX_WAIT_S} s), or a long-poll is cut off`;
        ctx.addIssue({ code: 'custom', path: ['HTTP_IDLE_TIMEOUT_MS'], message });
      }
      if (env.HTTP_IDLE_TIMEOUT_MS <= env.REQUEST_TIMEOUT_MS) {
        const message = `must be above REQUEST_TIMEOUT_MS (${env.REQUEST_TIMEOUT_MS}), or a request waiting for its reply is cut off`;
        ctx.addIssue({ code: 'custom', path: ['HTTP_IDLE_TIMEOUT_MS'], message });
      }
    },
    whenValid(
      'HTTP_HEADERS_TIMEOUT_MS',
      'HTTP_REQUEST_TIMEOUT_MS',
      'HTTP_IDLE_TIMEOUT_MS',
      'REQUEST_TIMEOUT_MS',
      'SSE_HEARTBEAT_MS',
      'LONG_POLL_MAX_WAIT_S',
    ),
  );

export const loadGatewayConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(GatewayEnv, env);
