/**
 * The load generator: a child process (forked by load.ts) that runs autocannon against
 * POST /api/v1/orders and reports every request it sent.
 *
 * One continuous autocannon run, three phases by time since start:
 *   warm-up  [0, warmup)                 POSTs tagged "warmup" (not counted in throughput/latency)
 *   measure  [warmup, warmup + duration) POSTs tagged "measure"
 *   drain    after that                  cheap GET /health/live only, until every POST in flight
 *                                        has its answer (at most drainMaxSec), then stop.
 * The drain keeps the accepted set exact: autocannon drops in-flight requests when it stops, so
 * stopping right at the end of the window would leave 202s we never saw.
 *
 * What is measured here: per POST, the send time (wall clock, epoch ms), the HTTP latency
 * (send → complete response, monotonic clock) and the status; for a 202, the order id from the body.
 * Each request carries x-correlation-id `bench-<runId>-<seq>` (echoed by the gateway) so a response is
 * matched to its request, and shippingAddress.line1 `<seq> Benchmark Allee, run <runId>` so the
 * order rows in Postgres can be matched to requests (duplicate detection).
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { LoadConfig, LoadSummary, RequestTuple, WorkerMessage } from './load-protocol';
import { orderBody } from './order-body';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHUNK = 20_000;
/** a connection answered 503 waits its Retry-After, at most this long (autocannon times a request out after drainMaxSec) */
const MAX_RETRY_AFTER_MS = 5_000;

/** autocannon's connection, as far as honouring Retry-After needs it (`_doRequest` sends the next request) */
interface AutocannonClient {
  destroyed: boolean;
  on(event: 'headers', listener: (info: { statusCode: number; headers: string[] }) => void): void;
  _doRequest(...args: unknown[]): void;
}

/**
 * Makes a connection behave as a client that honours Retry-After: after a 503 it sends nothing for
 * that long. Without it the closed loop answers every refusal with the next request at once, and on
 * this one machine that storm (~10,000 refusals/s) takes the CPU the decisions need: admission
 * control, once tripped, would never let go.
 */
function honourRetryAfter(client: AutocannonClient, paused: () => void): void {
  let quietUntil = 0;
  client.on('headers', ({ statusCode, headers }) => {
    if (statusCode !== 503) return;
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (headers[i].toLowerCase() !== 'retry-after') continue;
      const seconds = Number(headers[i + 1]);
      if (seconds > 0) quietUntil = performance.now() + Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
    }
  });
  const sendNext = client._doRequest.bind(client);
  client._doRequest = (...args: unknown[]) => {
    const waitMs = quietUntil - performance.now();
    if (waitMs <= 0) return sendNext(...args);
    paused();
    setTimeout(() => {
      if (!client.destroyed) sendNext(...args);
    }, waitMs);
  };
}

/** epoch ms with sub-ms resolution, on the same clock as Postgres' now() (same host) */
const epochNow = () => performance.timeOrigin + performance.now();

interface InFlight {
  tuple: RequestTuple;
  /** performance.now() at send */
  sentPerf: number;
}

interface ClientContext {
  seq?: number;
  drain?: boolean;
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('load-worker must be started with an IPC channel (fork)'));
    process.send(message, undefined, undefined, (error) => (error ? reject(error) : resolve()));
  });
}

function headerValue(headers: autocannon.Request['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

async function run(config: LoadConfig): Promise<void> {
  const url = new URL(config.url);
  const correlationPrefix = `bench-${config.runId}-`;
  const inFlight = new Map<number, InFlight>(); // POSTs sent, not answered yet
  const answered: RequestTuple[] = [];
  const sampleErrors: Record<string, string> = {};
  const connectionErrors: Record<string, number> = {};
  let nextSeq = 0;
  let drainRequests = 0;
  let accepted202WithoutId = 0;
  let unmatchedResponses = 0;
  let retryAfterPauses = 0;

  const startPerf = performance.now();
  const startedAt = epochNow();
  const measureStartPerf = startPerf + config.warmupSec * 1000;
  const measureEndPerf = measureStartPerf + config.durationSec * 1000;

  /** called by autocannon right before each request is written to its connection */
  const setupRequest = (request: autocannon.Request, rawContext: object): autocannon.Request => {
    const context = rawContext as ClientContext;
    const now = performance.now();
    if (now >= measureEndPerf) {
      context.drain = true;
      drainRequests++;
      return { ...request, method: 'GET', path: '/health/live', headers: {}, body: Buffer.alloc(0) };
    }
    const seq = nextSeq++;
    const customer = seq % config.customers.length;
    const phase = now < measureStartPerf ? 0 : 1;
    const sentAt = performance.timeOrigin + now;
    inFlight.set(seq, { tuple: [seq, phase, customer, sentAt, -1, 0, ''], sentPerf: now });
    context.seq = seq;
    context.drain = false;
    return {
      ...request,
      method: 'POST',
      path: '/api/v1/orders',
      headers: {
        authorization: `Bearer ${config.tokens[customer]}`,
        'content-type': 'application/json',
        'x-correlation-id': `${correlationPrefix}${seq}`,
      },
      body: orderBody(config, seq),
    };
  };

  /** called by autocannon with every complete response (pipelining 1: the context is the request's) */
  const onResponse = (status: number, body: string, rawContext: object, headers: autocannon.Request['headers']) => {
    const now = performance.now();
    const context = rawContext as ClientContext;
    if (context.drain) return;
    const correlation = headerValue(headers, 'x-correlation-id');
    const seq = correlation?.startsWith(correlationPrefix) ? Number(correlation.slice(correlationPrefix.length)) : context.seq;
    const entry = seq === undefined ? undefined : inFlight.get(seq);
    if (!entry || seq === undefined) {
      unmatchedResponses++;
      return;
    }
    inFlight.delete(seq);
    const tuple = entry.tuple;
    tuple[4] = now - entry.sentPerf;
    tuple[5] = status;
    if (status === 202) {
      const id = orderIdOf(body);
      if (id) tuple[6] = id;
      else accepted202WithoutId++;
    } else if (!(String(status) in sampleErrors)) {
      sampleErrors[String(status)] = body.slice(0, 300);
    }
    answered.push(tuple);
  };

  const drainMaxMs = config.drainMaxSec * 1000;
  let finish: (result: autocannon.Result) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: `${url.protocol}//${url.host}`,
      connections: config.connections,
      pipelining: 1,
      // hard upper bound; normally stopped by the drain check below
      duration: config.warmupSec + config.durationSec + config.drainMaxSec + 5,
      timeout: config.drainMaxSec,
      sampleInt: 100,
      requests: [{ setupRequest, onResponse }],
      setupClient: (client) => honourRetryAfter(client as unknown as AutocannonClient, () => retryAfterPauses++),
    },
    (error, result) => (error ? fail(error) : finish(result)),
  );

  instance.on('reqError', (error: NodeJS.ErrnoException) => {
    const code = error.code ?? error.message;
    connectionErrors[code] = (connectionErrors[code] ?? 0) + 1;
  });

  // Drain check: after the measured window, stop once no POST younger than drainMax is unanswered.
  const timer = setInterval(() => {
    const now = performance.now();
    if (now < measureEndPerf) return;
    const waiting = [...inFlight.values()].some((entry) => now - entry.sentPerf < drainMaxMs);
    if (!waiting || now - measureEndPerf > drainMaxMs) {
      clearInterval(timer);
      instance.stop();
    }
  }, 20);
  const result = await finished.finally(() => clearInterval(timer));
  const endedAt = epochNow();

  // whatever is still in flight never got an answer (timeouts, connection errors)
  const unanswered = [...inFlight.values()].map((entry) => entry.tuple);
  const all = [...answered, ...unanswered].sort((a, b) => a[0] - b[0]);
  for (let i = 0; i < all.length; i += CHUNK) await send({ type: 'records', records: all.slice(i, i + CHUNK) });

  const summary: LoadSummary = {
    startedAt,
    measureStartedAt: performance.timeOrigin + measureStartPerf,
    measureEndedAt: performance.timeOrigin + measureEndPerf,
    endedAt,
    drainRequests,
    accepted202WithoutId,
    unmatchedResponses,
    retryAfterPauses,
    connectionErrors,
    sampleErrors,
    autocannon: { errors: result.errors, timeouts: result.timeouts, sent: nextSeq },
  };
  await send({ type: 'done', summary });
}

function orderIdOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { id?: unknown };
    return typeof parsed.id === 'string' && UUID.test(parsed.id) ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

process.once('message', (config: LoadConfig) => {
  run(config)
    .then(() => process.exit(0))
    .catch(async (error: unknown) => {
      await send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }).catch(() => undefined);
      process.exit(1);
    });
});
