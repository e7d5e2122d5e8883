/**
 * The open-loop load generator of `npm run bench -- --overload`: a child process (forked by
 * open-loop.ts) that sends POST /api/v1/orders at a fixed arrival rate, one every 1/rate seconds,
 * whether or not earlier ones were answered. A closed loop (autocannon's connections) sends the
 * next request only when one comes back, so an overloaded system would slow the load down and
 * never see 2× its capacity; an open loop keeps offering it, as many independent clients would.
 *
 * Phases by intended send time: warm-up, measured window, then no more POSTs; the worker waits
 * (at most drainMaxSec) for the answers of those in flight. Latencies run from the intended send
 * time, so a generator that falls behind does not hide the delay (coordinated omission).
 * POSTs use at most `maxSockets` connections; when all are busy (the system answers slower than
 * requests arrive) the next ones wait in a queue here, and that wait counts in their latency, as
 * it would for a client. Reported: the most that waited, those never sent by the end, and sends
 * the generator itself made more than 50 ms late (its event loop behind: CPU).
 *
 * During the measured window, `readsPerSec` of the 202s are handed at once to the reader
 * (open-loop-reader.ts, a process of its own), which GETs that order with its customer's token:
 * the read latency a customer sees while the system is overloaded.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { OpenLoopConfig, OpenLoopMessage, OpenLoopSummary, RequestTuple } from './load-protocol';
import { orderBody } from './order-body';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHUNK = 20_000;
const LATE_MS = 50;

interface Answer {
  status: number;
  body: string;
  error?: string;
}

function send(message: OpenLoopMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('open-loop-worker must be started with an IPC channel (fork)'));
    process.send(message, undefined, undefined, (error) => (error ? reject(error) : resolve()));
  });
}

async function run(config: OpenLoopConfig): Promise<void> {
  const url = new URL(config.url);
  const postAgent = new http.Agent({ keepAlive: true, maxSockets: config.maxSockets, maxFreeSockets: config.maxSockets });
  const timeoutMs = config.drainMaxSec * 1000;
  let inFlight = 0;
  let maxInFlight = 0;

  const request = (
    agent: http.Agent,
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Answer> =>
    new Promise((resolve) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = (answer: Answer) => {
        inFlight--;
        resolve(answer);
      };
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method,
          path,
          timeout: timeoutMs,
          headers:
            body === undefined
              ? headers
              : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (error: NodeJS.ErrnoException) => done({ status: 0, body: '', error: error.code ?? error.message }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (error: NodeJS.ErrnoException) => done({ status: 0, body: '', error: error.code ?? error.message }));
      req.end(body);
    });

  const startPerf = performance.now();
  const startedAt = performance.timeOrigin + startPerf;
  const measureStartPerf = startPerf + config.warmupSec * 1000;
  const measureEndPerf = measureStartPerf + config.durationSec * 1000;
  const intervalMs = 1000 / config.ratePerSec;
  const totalPosts = Math.ceil((measureEndPerf - startPerf) / intervalMs);

  const answered: RequestTuple[] = [];
  const pending = new Map<number, RequestTuple>();
  const sampleErrors: Record<string, string> = {};
  const connectionErrors: Record<string, number> = {};
  let accepted202WithoutId = 0;
  let readsSent = 0;
  let lateSends = 0;
  let timeouts = 0;

  const noteError = (error: string | undefined) => {
    if (!error) return;
    connectionErrors[error] = (connectionErrors[error] ?? 0) + 1;
    if (error === 'TIMEOUT') timeouts++;
  };

  /** the order just accepted goes to the reader, while reads are due (readsPerSec over the measured window) */
  const maybeRead = (orderId: string, token: string) => {
    const now = performance.now();
    if (now < measureStartPerf || now >= measureEndPerf) return;
    if (readsSent >= ((now - measureStartPerf) / 1000) * config.readsPerSec) return;
    readsSent++;
    void send({ type: 'read', orderId, token });
  };

  // POSTs beyond maxSockets in flight wait here, first come first served (O(1): a head index, not shift())
  let posting = 0;
  const waiting: ((() => Promise<void>) | undefined)[] = [];
  let waitingHead = 0;
  let maxWaiting = 0;
  const startPost = (send: () => Promise<void>) => {
    posting++;
    void send().finally(() => {
      posting--;
      if (waitingHead < waiting.length) {
        const next = waiting[waitingHead] as () => Promise<void>;
        waiting[waitingHead++] = undefined;
        if (waitingHead > 100_000 && waitingHead * 2 > waiting.length) {
          waiting.splice(0, waitingHead);
          waitingHead = 0;
        }
        startPost(next);
      }
    });
  };
  const enqueuePost = (send: () => Promise<void>) => {
    if (posting < config.maxSockets) return startPost(send);
    waiting.push(send);
    maxWaiting = Math.max(maxWaiting, waiting.length - waitingHead);
  };

  const post = (seq: number) => {
    const intended = startPerf + seq * intervalMs;
    if (performance.now() - intended > LATE_MS) lateSends++;
    const customer = seq % config.customers.length;
    const token = config.tokens[customer] as string;
    const tuple: RequestTuple = [seq, intended < measureStartPerf ? 0 : 1, customer, performance.timeOrigin + intended, -1, 0, ''];
    pending.set(seq, tuple);
    const headers = { authorization: `Bearer ${token}`, 'x-correlation-id': `bench-${config.runId}-${seq}` };
    enqueuePost(() =>
      request(postAgent, 'POST', '/api/v1/orders', headers, orderBody(config, seq)).then((answer) => {
        pending.delete(seq);
        noteError(answer.error);
        tuple[4] = answer.status ? performance.now() - intended : -1;
        tuple[5] = answer.status;
        if (answer.status === 202) {
          const id = orderIdOf(answer.body);
          if (id) {
            tuple[6] = id;
            maybeRead(id, token);
          } else {
            accepted202WithoutId++;
          }
        } else if (answer.status > 0 && !(String(answer.status) in sampleErrors)) {
          sampleErrors[String(answer.status)] = answer.body.slice(0, 300);
        }
        answered.push(tuple);
      }),
    );
  };

  // the arrivals: every millisecond, send whatever is due by now
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(totalPosts, Math.floor((performance.now() - startPerf) / intervalMs) + 1);
      while (next < due) post(next++);
      if (next >= totalPosts) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  // drain: the answers of POSTs in flight or waiting, for at most drainMaxSec
  const drainUntil = performance.now() + timeoutMs;
  while ((inFlight > 0 || waitingHead < waiting.length) && performance.now() < drainUntil)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const endedAt = performance.timeOrigin + performance.now();
  const neverSent = waiting.length - waitingHead;
  waiting.length = 0;
  postAgent.destroy();

  const all = [...answered, ...pending.values()].sort((a, b) => a[0] - b[0]);
  for (let i = 0; i < all.length; i += CHUNK) await send({ type: 'records', records: all.slice(i, i + CHUNK) });
  const summary: OpenLoopSummary = {
    startedAt,
    measureStartedAt: performance.timeOrigin + measureStartPerf,
    measureEndedAt: performance.timeOrigin + measureEndPerf,
    endedAt,
    drainRequests: 0,
    accepted202WithoutId,
    unmatchedResponses: 0,
    connectionErrors,
    sampleErrors,
    autocannon: { errors: Object.values(connectionErrors).reduce((a, b) => a + b, 0), timeouts, sent: next },
    maxInFlight,
    maxWaiting,
    neverSent,
    lateSends,
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

process.once('message', (config: OpenLoopConfig) => {
  run(config)
    .then(() => process.exit(0))
    .catch(async (error: unknown) => {
      await send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }).catch(() => undefined);
      process.exit(1);
    });
});
