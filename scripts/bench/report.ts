/** Printing: the settings block and the results table. */
import type { LoadSummary } from './load-protocol';
import type { BenchOptions } from './options';
import type { PgbenchResult } from './pgbench';
import { duplicatedTotal, lostTotal, type Distribution, type Metrics } from './analysis';
import { foreignMembers, type GroupsSnapshot } from './kafka-groups';

export interface Settings {
  options: BenchOptions;
  cores: number;
  cpuModel: string;
  gatewayUrl: string;
  startedSystem: boolean;
  postgres: Record<string, string>;
  stockTopUp: { products: number; quantity: number };
  runId: string;
  /** the apps' Kafka consumer groups before the load, or why they could not be read */
  groups: GroupsSnapshot | string;
  /** our pid when the bench started the apps (their Kafka client ids contain it) */
  ownPid: number | undefined;
}

export type Row = [metric: string, value: string, note?: string];

export const fmt = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
export const ms = (n: number | undefined) => (n === undefined ? 'n/a' : `${fmt(n, n < 10 ? 2 : 0)} ms`);
export const counts = (record: Record<string, number>) =>
  Object.keys(record).length === 0
    ? 'none'
    : Object.entries(record)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
export const p50p99 = (d: Distribution) => `${ms(d.p50)} / ${ms(d.p99)}`;

export function printSettings(s: Settings): void {
  const o = s.options;
  console.log(`
orderline bench — run ${s.runId}
  machine          ${s.cores} cores (os.cpus().length), ${s.cpuModel}
  system           ${s.gatewayUrl} (${s.startedSystem ? `started by the bench: infra:up, nx build, startSystem basePort ${new URL(s.gatewayUrl).port}` : 'given with --url'})
  durability       Postgres fsync=${s.postgres['fsync']}, synchronous_commit=${s.postgres['synchronous_commit']}, wal_sync_method=${s.postgres['wal_sync_method']}, full_page_writes=${s.postgres['full_page_writes']} (read from the server)
                   Kafka acks=all for order commands (as configured by the apps)
  options          --duration ${o.duration} --warmup ${o.warmup} --connections ${o.connections} --products ${o.products} --lines ${o.lines} --customers ${o.customers}${o.skipPgbench ? ' --skip-pgbench' : ''} --settle-timeout ${o.settleTimeout} --backlog-wait ${o.backlogWait}
  load             autocannon in a separate process, pipelining 1; bodies: ${o.lines} distinct random product(s) of PROD-0001..PROD-${String(o.products).padStart(4, '0')}, quantity 1..3, customers B${s.runId}-1..B${s.runId}-${o.customers} (made for this run) in rotation (one token each)
  consumer groups  ${describeGroups(s.groups, s.ownPid)}
  stock top-up     at least ${s.stockTopUp.quantity} of each of the ${s.stockTopUp.products} products used, through the admin API (RECEIVED stock adjustments), so the run measures confirmations, not OUT_OF_STOCK
`);
}

export function describeGroups(snapshot: GroupsSnapshot | string, ownPid: number | undefined): string {
  if (typeof snapshot === 'string') return snapshot;
  const members = snapshot.groups.map((g) => `${g.group}: ${g.clientIds.length} member(s)`).join(', ');
  const foreign = foreignMembers(snapshot.groups, ownPid);
  return [
    members,
    `backlog before the load: ${snapshot.orderCommandsLag} message(s) in orders.commands not yet consumed by order-management${snapshot.orderCommandsLag > 0 ? " (! the bench's orders queue behind them)" : ''}`,
    ...(foreign.length ? [`! NOT OURS (another system shares the work): ${foreign.join('; ')}`] : []),
  ].join('\n                   ');
}

export interface Results {
  metrics: Metrics;
  load: LoadSummary;
  /** pgbench result, why it failed, or undefined when skipped */
  pgbench: PgbenchResult | string | undefined;
  /** consumer-group members that were not ours, seen before/after the load or after settling */
  foreignMembers: string[];
  /** CreateOrder commands still unconsumed in orders.commands when the settle wait ended (undefined: unknown) */
  backlogAtDeadline: number | undefined;
}

export function printResults({ metrics: m, load, pgbench, foreignMembers, backlogAtDeadline }: Results): void {
  const reference = typeof pgbench === 'object' ? pgbench.tps : undefined;
  const rows: Row[] = [
    ['sent (POST)', `${m.sentMeasured}`, `measured window; +${m.sentWarmup} in warm-up (${m.acceptedWarmup} accepted)`],
    ['accepted (202)', `${m.accepted}`, `${fmt(m.acceptedPerSec)}/s over the measured ${fmt(m.windowSec)} s`],
    ['confirmed', `${m.confirmed}`, `final: ${counts(m.finalByStatus)}`],
    [
      'confirmed/s end to end',
      fmt(m.confirmedPerSec),
      `confirmed / (last final updated_at − first 202) = ${m.confirmed} / ${fmt(m.e2eWindowSec, 2)} s`,
    ],
    ['accept latency p50 / p99', p50p99(m.acceptLatency), `HTTP send → 202, max ${ms(m.acceptLatency.max)}`],
    ['accept→final p50 / p99', p50p99(m.finalLatency), `client send time → orders.updated_at, max ${ms(m.finalLatency.max)}`],
    [
      'accept→stored p50 / p99',
      p50p99(m.storedLatency),
      `client send time → orders.created_at (first write; ${m.writtenFinal} of ${m.finalLatency.count} rows were written already final)`,
    ],
    ['rejected by reason', counts(m.rejectedByReason), 'measured window'],
    ['non-202 responses', counts(m.non202Measured), `measured window; warm-up: ${counts(m.non202Warmup)}`],
    [
      'no answer',
      `${m.noAnswer}`,
      `POSTs without any response, whole run; connection errors: ${counts(load.connectionErrors)}, timeouts ${load.autocannon.timeouts}`,
    ],
    [
      'lost',
      `${lostTotal(m)}`,
      `whole run, ${fmt(m.settledAfterLoadSec)} s after the load: ${m.lostNotFound} not in orders, ${m.lostStillPending} still PENDING${lostTotal(m) > 0 && backlogAtDeadline ? ` (orders.commands still held ${backlogAtDeadline} unconsumed messages: some may be queued, not lost)` : ''}`,
    ],
    [
      'duplicated',
      `${duplicatedTotal(m)}`,
      `whole run: ${m.repeatedIdsIn202} repeated ids in 202s, ${m.extraRowsPerRequest} extra rows per request signature, ${m.rowsNotMatching202} rows not matching their 202`,
    ],
    ['stored without a 202', `${m.storedWithout202}`, 'rows of requests that got no 202 (informational)'],
    referenceRow(pgbench),
    [
      'ratio confirmed/s ÷ reference',
      reference && m.confirmedPerSec !== undefined ? `${fmt((m.confirmedPerSec / reference) * 100)} %` : 'n/a',
      '',
    ],
  ];
  printTable(rows);
  const warnings = [
    load.accepted202WithoutId > 0
      ? `${load.accepted202WithoutId} 202 responses had no order id in the body: the accepted set is incomplete`
      : '',
    load.unmatchedResponses > 0 ? `${load.unmatchedResponses} responses could not be matched to a request` : '',
    load.retryAfterPauses ? `${load.retryAfterPauses} times a connection waited out a 503's Retry-After (admission control shed load)` : '',
    foreignMembers.length > 0
      ? `another orderline system consumed the same Kafka groups during the run (${foreignMembers.join('; ')}): it took part of the bench's orders, possibly with other code — these numbers are not this system's alone`
      : '',
    ...Object.entries(load.sampleErrors).map(([status, body]) => `sample ${status} body: ${body}`),
  ].filter(Boolean);
  for (const warning of warnings) console.log(`  ! ${warning}`);
}

function referenceRow(pgbench: PgbenchResult | undefined | string): Row {
  if (pgbench === undefined) return ['Postgres reference (1 order/tx)', 'skipped', '--skip-pgbench'];
  if (typeof pgbench === 'string') return ['Postgres reference (1 order/tx)', 'failed', pgbench];
  return [
    'Postgres reference (1 order/tx)',
    `${fmt(pgbench.tps)} tps`,
    `pgbench ${pgbench.seconds} s, ${pgbench.clients} clients, ${pgbench.transactions} tx (${pgbench.failed} failed): stock decrement + order + 2 lines`,
  ];
}

export function printTable(rows: Row[]): void {
  const width = [0, 0];
  for (const [metric, value] of rows) {
    width[0] = Math.max(width[0] ?? 0, metric.length);
    width[1] = Math.max(width[1] ?? 0, value.length);
  }
  const [w0 = 0, w1 = 0] = width;
  const line = `+${'-'.repeat(w0 + 2)}+${'-'.repeat(w1 + 2)}+`;
  console.log(line);
  for (const [metric, value, note] of rows) {
    console.log(`| ${metric.padEnd(w0)} | ${value.padStart(w1)} |${note ? ` ${note}` : ''}`);
  }
  console.log(line);
}
