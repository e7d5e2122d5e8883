/**
 * `npm run bench -- --behind 60`: how reads fare while order-management is that many seconds
 * behind the orders it has accepted.
 *
 *   1. capacity: --capacity, or the overload bench's short calibration run;
 *   2. an open-loop load of a third of that capacity (so the backlog drains at about twice the
 *      rate it built up) with order-management stopped (SIGSTOP) for the first --behind seconds,
 *      then running again (SIGCONT) while it catches up: the oldest undecided order is --behind s
 *      old at that moment and younger from then on. Admission control is set out of the way
 *      (ADMISSION_MAX_DECISION_LAG_MS at its maximum) so the backlog can build at all;
 *   3. --reads a second during the whole load, prompted by the 202s and sent from a process of
 *      their own, in turn: GET of the order just accepted, that customer's order list, a catalog page;
 *   4. report: the read latencies by kind in each phase (order-management stopped / resuming /
 *      catching up / caught up), how far behind it got (the gateway's orderline_decision_lag_seconds), accepted,
 *      lost, duplicated. Exit 1 if anything accepted was lost or duplicated.
 *
 * The issue's figure is reads while order-management works off a 60 s backlog: phase 2's row.
 * While it is stopped, lists (which only order-management can answer) wait for the gateway's
 * request timeout; orders and the catalog do not.
 */
import type { Pool } from 'pg';
import { signToken } from '@orderline/testing';
import { analyse, duplicatedTotal, lostTotal } from './analysis';
import { DRAIN_MAX_SEC } from './load';
import { READ_KINDS, type ReadTuple } from './load-protocol';
import type { BenchOptions } from './options';
import { runOpenLoop } from './open-loop';
import { createBenchCustomers, taggedRows, waitUntilFinal } from './orders-db';
import { MAX_OFFERED_PER_CUSTOMER, MAX_SOCKETS, calibrate, metricValue as metric, type Capacity } from './overload';
import { counts, fmt, ms, printTable, type Row } from './report';
import { countBy, percentile } from './stats';

/** the share of the capacity offered: the backlog built while stopped drains at (1 - share) / share of the rate it grew */
const OFFERED_SHARE = 1 / 3;
/** the load goes on this many times --behind after order-management resumes (time to catch up, then some caught up) */
const RUN_ON_FACTOR = 1.5;
/**
 * After the resume, order-management first answers the reads asked in the last seconds it was
 * stopped (those still inside their requester's timeout, REQUEST_TIMEOUT_MS: 5 s): reads during that
 * time are a phase of their own, recovery from the stop, not the reads while it catches up.
 */
const RESUMING_SEC = 5;
/** caught up: the oldest undecided order is younger than this */
const CAUGHT_UP_LAG_SEC = 1;

export interface BehindContext {
  options: BenchOptions;
  pool: Pool;
  gatewayUrl: string;
  runId: string;
  deadApps: () => string[];
  /** SIGSTOP / SIGCONT to order-management */
  signalOrderManagement: (signal: NodeJS.Signals) => boolean;
  /** where the apps whose CPU the reads need serve /metrics */
  metricsUrl: (app: 'order-management' | 'inventory-service') => string | undefined;
}

/** The environment the bench's own system needs for this run: admission control out of the way. */
export const BEHIND_SYSTEM_ENV = { ADMISSION_MAX_DECISION_LAG_MS: '600000' };

export async function runBehindBench(ctx: BehindContext): Promise<number> {
  const { options, pool, runId } = ctx;
  const behindSec = options.behind as number;
  const capacity: Capacity =
    options.capacity !== undefined ? { perSec: options.capacity, how: 'given with --capacity' } : await calibrate(ctx);
  const rate = capacity.perSec * OFFERED_SHARE;
  const durationSec = Math.ceil(behindSec * (1 + RUN_ON_FACTOR));
  const customers = await createBenchCustomers(pool, runId, Math.max(options.customers, Math.ceil(rate / MAX_OFFERED_PER_CUSTOMER)));
  console.log(`
orderline bench --behind — run ${runId}
  system           ${ctx.gatewayUrl} (started by the bench; ADMISSION_MAX_DECISION_LAG_MS=${BEHIND_SYSTEM_ENV.ADMISSION_MAX_DECISION_LAG_MS})
  capacity         ${fmt(capacity.perSec, 0)} orders/s (${capacity.how})
  offered          ${fmt(rate, 0)} POSTs/s (a third of it), open loop, for ${durationSec} s
  order-management stopped (SIGSTOP) for the first ${behindSec} s, then running again
  reads            ${options.reads}/s, in turn: the order just accepted, that customer's order list, a catalog page (limit 20)
  customers        ${customers.length} made for this run
`);

  // order-management stops as the load starts and resumes --behind s later
  const gateway = trackGateway(ctx.gatewayUrl);
  const readers = (['order-management', 'inventory-service'] as const).map((app) => ({ app, loop: trackEventLoop(ctx.metricsUrl(app)) }));
  if (!ctx.signalOrderManagement('SIGSTOP')) throw new Error('--behind needs the system the bench starts (no --url)');
  const loadStartedAt = Date.now();
  let resumedAt: number | undefined;
  const resumeTimer = setTimeout(() => {
    ctx.signalOrderManagement('SIGCONT');
    resumedAt = Date.now();
  }, behindSec * 1000);
  let load;
  try {
    load = await runOpenLoop({
      url: ctx.gatewayUrl,
      ratePerSec: rate,
      readsPerSec: options.reads,
      readMix: 'mixed',
      maxSockets: MAX_SOCKETS,
      warmupSec: 0,
      durationSec,
      drainMaxSec: DRAIN_MAX_SEC,
      products: options.products,
      lines: options.lines,
      customers,
      tokens: customers.map((sub) => signToken({ sub, role: 'customer' })),
      runId,
    });
  } finally {
    clearTimeout(resumeTimer);
    ctx.signalOrderManagement('SIGCONT');
    resumedAt ??= Date.now();
  }
  const deadDuringLoad = ctx.deadApps();
  const acceptedIds = [...new Set(load.records.flatMap((r) => (r.status === 202 && r.orderId ? [r.orderId] : [])))];
  console.log(`load done: ${load.records.length} POSTs, ${acceptedIds.length} accepted; waiting until they are final …`);
  const wait = await waitUntilFinal(pool, acceptedIds, load.summary.endedAt + options.settleTimeout * 1000);
  gateway.stop();
  for (const { loop } of readers) loop.stop();
  const caughtUpAt = gateway.samples.find(([at, seconds]) => at > (resumedAt as number) && seconds < CAUGHT_UP_LAG_SEC)?.[0];
  const metrics = analyse(load, wait, await taggedRows(pool, runId, load.summary.startedAt - 60_000));

  const phases: Array<[string, number, number]> = [
    [`order-management stopped (0–${behindSec} s)`, loadStartedAt, resumedAt],
    [`resuming (first ${RESUMING_SEC} s: answering the reads asked while it was stopped)`, resumedAt, resumedAt + RESUMING_SEC * 1000],
    [`catching up (${behindSec} s behind → < ${CAUGHT_UP_LAG_SEC} s)`, resumedAt + RESUMING_SEC * 1000, caughtUpAt ?? Infinity],
    ['caught up', caughtUpAt ?? Infinity, Infinity],
  ];
  const rows: Row[] = [];
  for (const [phase, from, to] of phases) {
    const inPhase = load.reads.filter(([at]) => at >= from && at < to);
    for (const [kind, name] of READ_KINDS.entries()) {
      const reads = inPhase.filter((read) => read[4] === kind);
      rows.push([`${phase}: ${name}`, p50p99Of(reads), describeReads(reads)]);
    }
    const scrapes = gateway.samples.filter(([at]) => at >= from && at < to);
    const blocked = Math.max(0, ...scrapes.map(([, , loop]) => loop).filter(Number.isFinite));
    const heap = Math.max(0, ...scrapes.map(([, , , bytes]) => bytes).filter(Number.isFinite));
    const gcShare =
      scrapes.length > 1
        ? (scrapes[scrapes.length - 1][4] - scrapes[0][4]) / ((scrapes[scrapes.length - 1][0] - scrapes[0][0]) / 1000)
        : NaN;
    rows.push([
      `${phase}: gateway`,
      `${ms(blocked * 1000)} blocked`,
      `its event loop's longest delay; heap used up to ${fmt(heap / 1_048_576, 0)} MiB; in GC ${fmt(gcShare * 100, 1)} % of the time`,
    ]);
    for (const { app, loop } of readers) {
      const longest = Math.max(0, ...loop.samples.filter(([at]) => at >= from && at < to).map(([, seconds]) => seconds));
      rows.push([`${phase}: ${app}`, `${ms(longest * 1000)} blocked`, "its event loop's longest delay"]);
    }
  }
  const maxLag = Math.max(0, ...gateway.samples.map(([, seconds]) => seconds));
  rows.push(
    ['most behind', `${fmt(maxLag)} s`, "the gateway's orderline_decision_lag_seconds, sampled every 500 ms"],
    [
      'caught up after',
      caughtUpAt === undefined ? 'not during the load' : `${fmt((caughtUpAt - resumedAt) / 1000)} s`,
      `from SIGCONT until the oldest undecided order was < ${CAUGHT_UP_LAG_SEC} s old`,
    ],
    [
      'accepted',
      `${acceptedIds.length}`,
      `of ${load.records.length} POSTs; non-202: ${counts(metrics.non202Measured)}; no answer: ${load.records.filter((r) => !r.status).length}`,
    ],
    ['reads with no answer', `${load.reads.filter(([, , status]) => !status).length}`, `by cause: ${counts(load.readErrors)}`],
    ['lost', `${lostTotal(metrics)}`, `${metrics.lostNotFound} not in orders, ${metrics.lostStillPending} still PENDING`],
    ['duplicated', `${duplicatedTotal(metrics)}`, ''],
  );
  console.log('read p50 / p99 by phase and kind (latency from the read process, which has a CPU of its own to wait for):');
  printTable(rows);
  const failures = [
    lostTotal(metrics) > 0 ? `${lostTotal(metrics)} accepted orders lost` : '',
    duplicatedTotal(metrics) > 0 ? `${duplicatedTotal(metrics)} duplicated orders` : '',
    deadDuringLoad.length > 0 ? `apps died during the load: ${deadDuringLoad.join(', ')}` : '',
  ].filter(Boolean);
  if (failures.length > 0) {
    console.log(`\nFAILED: ${failures.join('; ')}`);
    return 1;
  }
  console.log('\nOK: nothing accepted was lost or duplicated');
  return 0;
}

function p50p99Of(reads: ReadTuple[]): string {
  const latencies = reads.filter(([, latency, status]) => status === 200 && latency >= 0).map(([, latency]) => latency);
  return `${ms(percentile(latencies, 50))} / ${ms(percentile(latencies, 99))}`;
}

function describeReads(reads: ReadTuple[]): string {
  const statuses = countBy(reads, ([, , status]) => (status ? String(status) : 'no answer'));
  const pending = reads.filter(([, , , isPending]) => isPending === 1).length;
  const latencies = reads.filter(([, latency, status]) => status === 200 && latency >= 0).map(([, latency]) => latency);
  return `${reads.length} reads: ${counts(statuses)}${pending > 0 ? `, ${pending} PENDING` : ''}, max ${ms(percentile(latencies, 100))}`;
}

/** Samples an app's /metrics every 500 ms: [epoch ms, the longest its event loop was blocked since the previous scrape, s]. */
function trackEventLoop(metricsUrl: string | undefined): { samples: Array<[number, number]>; stop: () => void } {
  const samples: Array<[number, number]> = [];
  if (!metricsUrl) return { samples, stop: () => undefined };
  const timer = setInterval(() => {
    const at = Date.now();
    fetch(metricsUrl, { signal: AbortSignal.timeout(2_000) })
      .then((res) => res.text())
      .then((text) => {
        const seconds = metric(text, 'nodejs_eventloop_lag_max_seconds');
        if (Number.isFinite(seconds)) samples.push([at, seconds]);
      })
      .catch(() => undefined);
  }, 500);
  return { samples, stop: () => clearInterval(timer) };
}

/** One scrape of the gateway's /metrics: [epoch ms, decision lag s, event-loop delay max s since the previous scrape, heap used bytes, GC s so far]. */
type GatewaySample = [number, number, number, number, number];

/** Seconds spent in garbage collection so far (every kind), from prom-client's nodejs_gc_duration_seconds. */
function gcSeconds(text: string): number {
  let sum = 0;
  for (const match of text.matchAll(/^nodejs_gc_duration_seconds_sum\{[^}]*\} ([0-9.e+-]+)$/gm)) sum += Number(match[1]);
  return sum;
}

/**
 * Samples the gateway's /metrics every 500 ms: its decision lag (orderline_decision_lag_seconds),
 * the longest its event loop was blocked since the previous scrape (prom-client resets that
 * histogram on every collect) and its heap.
 */
function trackGateway(gatewayUrl: string): { samples: GatewaySample[]; stop: () => void } {
  const samples: GatewaySample[] = [];
  const timer = setInterval(() => {
    const at = Date.now();
    fetch(`${gatewayUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })
      .then((res) => res.text())
      .then((text) => {
        const lag = metric(text, 'orderline_decision_lag_seconds');
        if (Number.isFinite(lag)) {
          samples.push([
            at,
            lag,
            metric(text, 'nodejs_eventloop_lag_max_seconds'),
            metric(text, 'nodejs_heap_size_used_bytes'),
            gcSeconds(text),
          ]);
        }
      })
      .catch(() => undefined);
  }, 500);
  return { samples, stop: () => clearInterval(timer) };
}
