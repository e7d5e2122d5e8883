/**
 * The reads of `npm run bench -- --overload / --behind`: a process of its own (forked by
 * open-loop.ts), so the read latency it measures is the system's, not the queue of the POST
 * generator's busy event loop. The generator picks which just-accepted orders prompt a read
 * (readsPerSec of its 202s) and passes them on through open-loop.ts; this process sends each GET
 * at once, with that order's customer token, and times it from when it received the id. What it
 * GETs: that order; or (mix 'mixed') in turn that order, the customer's order list, a catalog page.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { READ_KINDS, type ReadKind, type ReadTuple, type ReaderMessage, type ReaderRequest } from './load-protocol';

/** idle connections kept for the reads; as many as needed are opened (each customer has its own) */
const FREE_SOCKETS = 64;

const url = new URL(process.argv[2] as string);
const timeoutMs = Number(process.argv[3]);
const mix: readonly ReadKind[] = process.argv[4] === 'mixed' ? READ_KINDS : ['order'];
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: FREE_SOCKETS });
const reads: ReadTuple[] = [];
const errors: Record<string, number> = {};
let inFlight = 0;
let count = 0;

const pathOf = (kind: ReadKind, orderId: string) =>
  kind === 'order' ? `/api/v1/orders/${orderId}` : kind === 'list' ? '/api/v1/orders?limit=20' : '/api/v1/products?limit=20';

function read(orderId: string, token: string): void {
  const kind = mix[count++ % mix.length] as ReadKind;
  const sentPerf = performance.now();
  inFlight++;
  const done = (status: number, body: string, error?: string) => {
    inFlight--;
    if (error) errors[error] = (errors[error] ?? 0) + 1;
    const pending = kind === 'order' && isPending(body) ? 1 : 0;
    reads.push([performance.timeOrigin + sentPerf, status ? performance.now() - sentPerf : -1, status, pending, READ_KINDS.indexOf(kind)]);
  };
  const req = http.request(
    {
      agent,
      host: url.hostname,
      port: url.port,
      method: 'GET',
      path: pathOf(kind, orderId),
      timeout: timeoutMs,
      headers: { authorization: `Bearer ${token}` },
    },
    (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (error: NodeJS.ErrnoException) => done(0, '', error.code ?? error.message));
    },
  );
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  req.on('error', (error: NodeJS.ErrnoException) => done(0, '', error.code ?? error.message));
  req.end();
}

function isPending(body: string): boolean {
  try {
    return (JSON.parse(body) as { status?: unknown }).status === 'PENDING';
  } catch {
    return false;
  }
}

function send(message: ReaderMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send?.(message, undefined, undefined, (error) => (error ? reject(error) : resolve())));
}

process.on('message', (message: ReaderRequest) => {
  if (message.type === 'read') return read(message.orderId, message.token);
  // finish: the reads in flight, for at most their timeout, then everything seen
  void (async () => {
    const until = performance.now() + timeoutMs;
    while (inFlight > 0 && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    agent.destroy();
    await send({ type: 'reads', reads, errors });
    process.exit(0);
  })();
});
