/**
 * `npm run bench -- --overload 2`: what the system does with more than it can decide.
 *
 *   1. capacity: --capacity, or a short calibration run (the plain bench's closed-loop load,
 *      --connections connections for --calibrate s, settled): confirmed/s end to end;
 *   2. an open-loop load (open-loop-worker.ts) offering --overload × that capacity for warm-up +
 *      --duration s, spread over enough customers that each is offered at most 25 orders/s (a
 *      quarter of the default per-customer limit: that limit is not what sheds here), with
 *      --reads GETs of just-accepted orders a second;
 *   3. settle: every accepted order must become final (bounded by --settle-timeout);
 *   4. report: accepted/s, shed/s by status, accept→final and read p50/p99, lost, duplicated,
 *      and how long after the load the last accepted order became final. Exit 1 if anything
 *      accepted was lost or duplicated.
 */
import type { Pool } from 'pg';
import { signToken } from '@orderline/testing';
import { analyse, duplicatedTotal, lostTotal, type Metrics } from './analysis';
import { describeAppGroups, type GroupsSnapshot } from './kafka-groups';
import { DRAIN_MAX_SEC, driveLoad } from './load';
import type { BenchOptions } from './options';
import { runOpenLoop, type OpenLoopResult } from './open-loop';
import { createBenchCustomers, taggedRows, waitUntilFinal } from './orders-db';
import { counts, describeGroups, fmt, ms, p50p99, printTable, type Row } from './report';
import { countBy, percentile } from './stats';

/** the most orders a second one customer is offered (the gateway's default limit is 100/s) */
export const MAX_OFFERED_PER_CUSTOMER = 25;
/** warm-up of the calibration run, seconds */
const CALIBRATION_WARMUP_SEC = 2;
/** sockets of the open-loop generator: requests in flight beyond them would wait in the client (reported) */
export const MAX_SOCKETS = 1_024;

export interface OverloadContext {
  options: BenchOptions;
  pool: Pool;
  gatewayUrl: string;
  runId: string;
  startedSystem: boolean;
  postgres: Record<string, string>;
  stockTopUp: { products: number; quantity: number };
  groupsBefore: GroupsSnapshot | string;
  ownPid: number | undefined;
  deadApps: () => string[];
  brokers: string[];
}

export interface Capacity {
  perSec: number;
  how: string;
}

export async function runOverloadBench(ctx: OverloadContext): Promise<number> {
  const { options, pool, runId } = ctx;
  const factor = options.overload as number;
  const capacity = options.capacity !== undefined ? { perSec: options.capacity, how: 'given with --capacity' } : await calibrate(ctx);
  const offered = factor * capacity.perSec;
  const customers = await createBenchCustomers(pool, runId, Math.max(options.customers, Math.ceil(offered / MAX_OFFERED_PER_CUSTOMER)));
  printOverloadSettings(ctx, capacity, offered, customers.length);

  console.log(`overload: ${fmt(offered, 0)} POSTs/s offered for ${options.warmup} s warm-up + ${options.duration} s measured …`);
  await gatewayEventLoopDelay(ctx.gatewayUrl); // starts the gateway's delay histogram afresh
  const readTimingsBefore = await gatewayReadTimings(ctx.gatewayUrl);
  const load = await runOpenLoop({
    url: ctx.gatewayUrl,
    ratePerSec: offered,
    readsPerSec: options.reads,
    readMix: 'order',
    maxSockets: MAX_SOCKETS,
    warmupSec: options.warmup,
    durationSec: options.duration,
    drainMaxSec: DRAIN_MAX_SEC,
    products: options.products,
    lines: options.lines,
    customers,
    tokens: customers.map((sub) => signToken({ sub, role: 'customer' })),
    runId,
  });
  const eventLoopDelay = await gatewayEventLoopDelay(ctx.gatewayUrl);
  const readsInGateway = readsAsTimed(readTimingsBefore, await gatewayReadTimings(ctx.gatewayUrl));
  const deadDuringLoad = ctx.deadApps();
  const acceptedIds = [...new Set(load.records.flatMap((r) => (r.status === 202 && r.orderId ? [r.orderId] : [])))];
  console.log(
    `load done: ${load.records.length} POSTs sent, ${acceptedIds.length} accepted (202); waiting until they are final (at most ${options.settleTimeout} s) …`,
  );
  const wait = await waitUntilFinal(pool, acceptedIds, load.summary.endedAt + options.settleTimeout * 1000);
  const backlogAfter = await describeAppGroups(ctx.brokers).then(
    (g) => g.orderCommandsLag,
    () => undefined,
  );
  const tagged = await taggedRows(pool, runId, load.summary.startedAt - 60_000);
  const metrics = analyse(load, wait, tagged);

  console.log('');
  printOverloadResults(metrics, load, offered, backlogAfter, eventLoopDelay, readsInGateway);
  const failures = [
    lostTotal(metrics) > 0 ? `${lostTotal(metrics)} accepted orders lost` : '',
    duplicatedTotal(metrics) > 0 ? `${duplicatedTotal(metrics)} duplicated orders` : '',
    load.summary.accepted202WithoutId > 0 ? `${load.summary.accepted202WithoutId} 202s without an order id` : '',
    deadDuringLoad.length > 0 ? `apps of the system under test died during the load: ${deadDuringLoad.join(', ')}` : '',
  ].filter(Boolean);
  if (failures.length > 0) {
    console.log(`\nFAILED: ${failures.join('; ')}`);
    return 1;
  }
  console.log('\nOK: nothing accepted was lost or duplicated');
  return 0;
}

/** The plain bench's closed-loop load for a few seconds: what the system confirms per second end to end. */
export async function calibrate({
  options,
  pool,
  gatewayUrl,
  runId,
}: Pick<OverloadContext, 'options' | 'pool' | 'gatewayUrl' | 'runId'>): Promise<Capacity> {
  // rows tagged with a run id of their own, so the overload run's duplicate check does not see them
  const calibrationRun = `${runId}c`;
  const customers = await createBenchCustomers(pool, runId, options.customers);
  console.log(`calibration: closed loop, ${options.connections} connections, ${options.calibrate} s …`);
  const load = await driveLoad(
    {
      connections: options.connections,
      warmup: CALIBRATION_WARMUP_SEC,
      duration: options.calibrate,
      products: options.products,
      lines: options.lines,
    },
    gatewayUrl,
    calibrationRun,
    customers,
  );
  const accepted = [...new Set(load.records.flatMap((r) => (r.status === 202 && r.orderId ? [r.orderId] : [])))];
  const wait = await waitUntilFinal(pool, accepted, load.summary.endedAt + options.settleTimeout * 1000);
  const metrics = analyse(load, wait, []);
  const perSec = metrics.confirmedPerSec ?? metrics.acceptedPerSec;
  if (Object.keys(metrics.non202Measured).length > 0) {
    console.log(`calibration: answers other than 202 while measured: ${counts(metrics.non202Measured)}`);
    for (const [status, body] of Object.entries(load.summary.sampleErrors)) console.log(`  sample ${status} body: ${body}`);
    if (load.summary.retryAfterPauses) console.log(`  ${load.summary.retryAfterPauses} times a connection waited out a 503's Retry-After`);
  }
  if (!(perSec > 0)) throw new Error('the calibration run confirmed nothing: no capacity to multiply');
  const how = `calibrated: ${metrics.confirmedPerSec === undefined ? 'accepted' : 'confirmed'}/s end to end of ${options.calibrate} s closed loop, ${options.connections} connections (accepted ${fmt(metrics.acceptedPerSec, 0)}/s)`;
  console.log(`calibration: capacity ${fmt(perSec, 0)}/s (${how})`);
  return { perSec, how };
}

function printOverloadSettings(ctx: OverloadContext, capacity: Capacity, offered: number, customers: number): void {
  const o = ctx.options;
  console.log(`
orderline bench --overload — run ${ctx.runId}
  system           ${ctx.gatewayUrl} (${ctx.startedSystem ? `started by the bench, basePort ${new URL(ctx.gatewayUrl).port}` : 'given with --url'})
  durability       Postgres fsync=${ctx.postgres['fsync']}, synchronous_commit=${ctx.postgres['synchronous_commit']}; Kafka acks=all
  capacity         ${fmt(capacity.perSec, 0)} orders/s (${capacity.how})
  offered          ${o.overload} × capacity = ${fmt(offered, 0)} POSTs/s, open loop (fixed arrival rate, latencies from the intended send time), up to ${MAX_SOCKETS} sockets
  customers        ${customers} made for this run (B${ctx.runId}-1 …), in rotation: ${fmt(offered / customers)} orders/s each
  reads            ${o.reads} GET /api/v1/orders/:id a second of just-accepted orders, during the measured window
  options          --overload ${o.overload} --duration ${o.duration} --warmup ${o.warmup} --products ${o.products} --lines ${o.lines} --settle-timeout ${o.settleTimeout}
  consumer groups  ${describeGroups(ctx.groupsBefore, ctx.ownPid)}
  stock top-up     at least ${ctx.stockTopUp.quantity} of each of the ${ctx.stockTopUp.products} products used
`);
}

function printOverloadResults(
  m: Metrics,
  load: OpenLoopResult,
  offered: number,
  backlogAfter: number | undefined,
  eventLoopDelay: string,
  readsInGateway: string,
): void {
  const perSec = (n: number) => `${fmt(n / m.windowSec)}/s`;
  const shed = Object.entries(m.non202Measured).sort(([a], [b]) => a.localeCompare(b));
  const noAnswerMeasured = load.records.filter((r) => r.phase === 'measure' && r.status === undefined).length;
  const answeredReads = load.reads.filter(([, latency, status]) => status === 200 && latency >= 0);
  const readLatencies = answeredReads.map(([, latency]) => latency);
  const pendingReads = answeredReads.filter(([, , , pending]) => pending === 1).map(([, latency]) => latency);
  const decidedReads = answeredReads.filter(([, , , pending]) => pending === 0).map(([, latency]) => latency);
  const readStatuses = countBy(load.reads, ([, , status]) => (status ? String(status) : 'no answer'));
  const readP50p99 = (latencies: number[]) => `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))}`;
  const rows: Row[] = [
    [
      'offered',
      `${fmt(offered, 0)}/s`,
      `${m.sentMeasured} POSTs in the measured ${fmt(m.windowSec)} s (${perSec(m.sentMeasured)}); +${m.sentWarmup} in warm-up`,
    ],
    ['accepted (202)/s', perSec(m.accepted), `${m.accepted} accepted in the measured window`],
    ...shed.map(([status, n]): Row => [`shed ${status}/s`, perSec(n), `${n} answered ${status}`]),
    [
      'no answer/s',
      perSec(noAnswerMeasured),
      `${noAnswerMeasured} POSTs without a response (timeouts, connection errors: ${counts(load.summary.connectionErrors)})`,
    ],
    ['confirmed/s end to end', fmt(m.confirmedPerSec), `final: ${counts(m.finalByStatus)}`],
    ['accept latency p50 / p99', p50p99(m.acceptLatency), `intended send → 202, max ${ms(m.acceptLatency.max)}`],
    ['accept→final p50 / p99', p50p99(m.finalLatency), `accepted orders: intended send → orders.updated_at, max ${ms(m.finalLatency.max)}`],
    [
      '  from the 202',
      p50p99(m.decidedAfter202),
      `202 received → orders.updated_at (what admission control bounds), max ${ms(m.decidedAfter202.max)}`,
    ],
    [
      'read p50 / p99',
      readP50p99(readLatencies),
      `GET of a just-accepted order from a process of its own, ${load.reads.length} reads, statuses: ${counts(readStatuses)}, max ${ms(percentile(readLatencies, 100))}${Object.keys(load.readErrors).length > 0 ? `, errors: ${counts(load.readErrors)}` : ''}`,
    ],
    [
      '  of them PENDING',
      readP50p99(pendingReads),
      `${pendingReads.length} answered from the gateway's view of accepted orders, max ${ms(percentile(pendingReads, 100))}`,
    ],
    [
      '  of them decided',
      readP50p99(decidedReads),
      `${decidedReads.length} answered decided (the gateway's recent changes, or order-management), max ${ms(percentile(decidedReads, 100))}`,
    ],
    [
      '  timed by the gateway',
      readsInGateway,
      'request received → answered, p50 / p99 by histogram bucket (http_request_duration_seconds, GET 200): the rest of a slow read waited before the gateway took it',
    ],
    [
      'gateway event loop',
      eventLoopDelay,
      'delay p99 / max over the load (prom-client, from the gateway /metrics): how long a request waited for its CPU turn',
    ],
    ['rejected by reason', counts(m.rejectedByReason), 'measured window'],
    [
      'lost',
      `${lostTotal(m)}`,
      `whole run: ${m.lostNotFound} not in orders, ${m.lostStillPending} still PENDING ${fmt(m.settledAfterLoadSec)} s after the load`,
    ],
    [
      'duplicated',
      `${duplicatedTotal(m)}`,
      `whole run: ${m.repeatedIdsIn202} repeated ids in 202s, ${m.extraRowsPerRequest} extra rows per request signature, ${m.rowsNotMatching202} rows not matching their 202`,
    ],
    [
      'all final after the load',
      `${fmt(m.settledAfterLoadSec)} s`,
      `until the last accepted order was final (the backlog drained); orders.commands backlog then: ${backlogAfter ?? 'unknown'}`,
    ],
    [
      'generator',
      `${load.summary.maxInFlight} in flight`,
      `most requests in flight at once (POSTs on ${MAX_SOCKETS} sockets); most waiting for a socket ${load.summary.maxWaiting}, never sent ${load.summary.neverSent}; ${load.summary.lateSends} POSTs issued > 50 ms late`,
    ],
  ];
  printTable(rows);
  const warnings = [
    load.summary.maxWaiting > 0
      ? `all ${MAX_SOCKETS} sockets were busy at times: up to ${load.summary.maxWaiting} POSTs waited in the generator for one (their wait counts in their latency, as for a client; ${load.summary.neverSent} were never sent)`
      : '',
    load.summary.lateSends > m.sentMeasured / 100
      ? `${load.summary.lateSends} POSTs were issued > 50 ms late: the generator could not keep the rate (CPU?)`
      : '',
    ...Object.entries(load.summary.sampleErrors).map(([status, body]) => `sample ${status} body: ${body}`),
  ].filter(Boolean);
  for (const warning of warnings) console.log(`  ! ${warning}`);
  const slices = m.decidedAfter202BySlice.map(
    ({ fromSec, wait }) => `${fromSec}–${fromSec + 5} s: ${wait.count} accepted, p99 ${wait.p99 === undefined ? 'n/a' : ms(wait.p99)}`,
  );
  console.log(`  accept→final from the 202 by when accepted: ${slices.join('; ')}`);
}

/**
 * The gateway's event-loop delay p99 / max since its previous scrape (prom-client resets its
 * histogram on every collect), from /metrics; 'unknown' if it cannot be read.
 */
async function gatewayEventLoopDelay(gatewayUrl: string): Promise<string> {
  try {
    const text = await (await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const seconds = (name: string) => metricValue(text, name);
    const p99 = seconds('nodejs_eventloop_lag_p99_seconds');
    const max = seconds('nodejs_eventloop_lag_max_seconds');
    return Number.isFinite(p99) && Number.isFinite(max) ? `${ms(p99 * 1000)} / ${ms(max * 1000)}` : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The gateway's histogram of GET /api/v1/orders/:id answered 200: cumulative count per bucket bound (s); undefined if unreadable. */
async function gatewayReadTimings(gatewayUrl: string): Promise<Map<number, number> | undefined> {
  try {
    const text = await (await fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const buckets = new Map<number, number>();
    const line = /^http_request_duration_seconds_bucket\{([^}]*)\} ([0-9.e+-]+)$/gm;
    for (const [, labels, value] of text.matchAll(line)) {
      if (!labels.includes('method="GET"') || !labels.includes('route="/api/v1/orders/:id"') || !labels.includes('status="200"')) continue;
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      if (le) buckets.set(le === '+Inf' ? Infinity : Number(le), Number(value));
    }
    return buckets;
  } catch {
    return undefined;
  }
}

/**
 * The reads of orders as the gateway itself timed them (request received → response written)
 * between two scrapes: "count, p50 ≤ x, p99 ≤ y" by histogram bucket. Set beside the reader's
 * figures it says whether a slow read waited in the gateway or before it (reader, kernel, network).
 */
function readsAsTimed(before: Map<number, number> | undefined, after: Map<number, number> | undefined): string {
  if (!before || !after || after.size === 0) return 'unknown';
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = bounds.map((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0));
  const total = delta[delta.length - 1];
  if (!(total > 0)) return 'no reads';
  const quantile = (q: number) => {
    const i = delta.findIndex((count) => count >= q * total);
    return bounds[i] === Infinity ? `> ${ms(bounds[i - 1] * 1000)}` : `≤ ${ms(bounds[i] * 1000)}`;
  };
  return `${quantile(0.5)} / ${quantile(0.99)}`;
}

/** A sample's value from a Prometheus text exposition (the first with that name, labels or not); NaN when absent. */
export function metricValue(text: string, name: string): number {
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1]);
}
