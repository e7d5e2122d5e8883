/**
 * Many concurrent SSE clients against a running gateway, for measuring what holding them costs
 * (run it during `npm run bench` and compare the gateway's memory with a run without it):
 *
 *   npx tsx scripts/bench/sse-clients.ts [--url http://127.0.0.1:3000] [--clients 1000] [--duration 60]
 *     [--as admin|customer] [--customer-prefix B<runId>-] [--customers 100] [--ramp 100]
 *
 * --as admin (default): every client is an admin of its own (sub SSE-BENCH-<i>) following every
 * change (GET /api/v1/orders/events): each order event is sent to every client, the heaviest fan-out.
 * --as customer: client i follows customer `<prefix><i mod customers + 1>`'s orders (the bench's
 * customers are B<runId>-1…N; its log prints the run id).
 *
 * Each instance bounds its streams (SSE_MAX_STREAMS, SSE_MAX_STREAMS_PER_CUSTOMER): refusals are
 * counted by status. Tokens are signed with JWT_SECRET (the dev default when unset). Every 5 s
 * and at the end it prints how many are connected and the events, heartbeats and bytes received;
 * exits after --duration seconds (0: at Ctrl-C).
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { signToken } from '@orderline/dev-tools';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:3000' },
    clients: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '60' },
    as: { type: 'string', default: 'admin' },
    'customer-prefix': { type: 'string', default: 'CUST' },
    customers: { type: 'string', default: '40' },
    ramp: { type: 'string', default: '100' },
  },
});
const url = new URL('/api/v1/orders/events', values.url);
const clientCount = Number(values.clients);
const durationS = Number(values.duration);
const ramp = Math.max(1, Number(values.ramp));
const customers = Math.max(1, Number(values.customers));
if (!Number.isInteger(clientCount) || clientCount < 1) throw new Error('--clients must be a positive integer');
if (values.as !== 'admin' && values.as !== 'customer') throw new Error('--as must be admin or customer');

interface Client {
  status?: number;
  connected: boolean;
  /** closed by the server or the network before the end */
  dropped: boolean;
  events: number;
  heartbeats: number;
  bytes: number;
  request?: http.ClientRequest;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const clients: Client[] = Array.from({ length: clientCount }, () => ({
  connected: false,
  dropped: false,
  events: 0,
  heartbeats: 0,
  bytes: 0,
}));
let stopping = false;

function tokenFor(i: number): string {
  if (values.as === 'admin') return signToken({ sub: `SSE-BENCH-${i + 1}`, role: 'admin' });
  const n = (i % customers) + 1;
  const prefix = values['customer-prefix'] as string;
  return signToken({ sub: prefix === 'CUST' ? `CUST${String(n).padStart(2, '0')}` : `${prefix}${n}`, role: 'customer' });
}

function open(i: number): Promise<void> {
  const client = clients[i];
  return new Promise((resolve) => {
    const request = http.get(url, { agent, headers: { authorization: `Bearer ${tokenFor(i)}`, accept: 'text/event-stream' } }, (res) => {
      client.status = res.statusCode;
      if (res.statusCode !== 200) {
        res.resume();
        return resolve();
      }
      client.connected = true;
      resolve();
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        client.bytes += Buffer.byteLength(chunk);
        const text = tail + chunk;
        const lines = text.split('\n');
        tail = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith('event: ')) client.events++;
          else if (line === ': heartbeat') client.heartbeats++;
        }
      });
      res.on('close', () => {
        if (!stopping) client.dropped = true;
        client.connected = false;
      });
    });
    request.on('error', (error) => {
      if (!stopping) client.dropped = client.status === 200;
      client.status ??= -1;
      client.connected = false;
      if (!stopping && client.status === -1) console.error(`client ${i + 1}: ${error.message}`);
      resolve();
    });
    client.request = request;
  });
}

function report(label: string): void {
  const connected = clients.filter((c) => c.connected);
  const byStatus = new Map<string, number>();
  for (const c of clients) byStatus.set(String(c.status ?? 'pending'), (byStatus.get(String(c.status ?? 'pending')) ?? 0) + 1);
  const events = clients.map((c) => c.events);
  const sum = events.reduce((a, b) => a + b, 0);
  console.log(
    `${label}: ${connected.length}/${clientCount} connected, ${clients.filter((c) => c.dropped).length} dropped; ` +
      `statuses ${[...byStatus].map(([status, n]) => `${status}×${n}`).join(' ')}; ` +
      `events ${sum} (per client min ${Math.min(...events)}, max ${Math.max(...events)}), ` +
      `heartbeats ${clients.reduce((a, c) => a + c.heartbeats, 0)}, ${(clients.reduce((a, c) => a + c.bytes, 0) / 1_048_576).toFixed(1)} MiB`,
  );
}

async function main(): Promise<void> {
  console.log(`opening ${clientCount} SSE clients (${values.as}) on ${url.href}, ${ramp} at a time`);
  const started = Date.now();
  for (let i = 0; i < clientCount; i += ramp) {
    await Promise.all(Array.from({ length: Math.min(ramp, clientCount - i) }, (_, k) => open(i + k)));
  }
  report(`opened in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const timer = setInterval(() => report(`${Math.round((Date.now() - started) / 1000)} s`), 5_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    if (durationS > 0) setTimeout(resolve, durationS * 1000);
  });
  clearInterval(timer);
  report('end');
  stopping = true;
  for (const c of clients) c.request?.destroy();
  agent.destroy();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
