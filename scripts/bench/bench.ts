/**
 * `npm run bench`: end-to-end throughput and correctness of order placement.
 *
 *   1. system: the gateway at --url, or bring everything up (infra:up, nx build, startSystem on 3200..3203);
 *   2. top up the stock of the products used through the admin API (stock adjustments, RECEIVED), so
 *      the run measures confirmations, not OUT_OF_STOCK, and the stock log still adds up;
 *   3. load: autocannon in a child process (load-worker.ts) POSTs varied orders for warm-up + duration,
 *      recording every request's send time, HTTP latency, status and 202 order id;
 *   4. settle: poll Postgres until every accepted order is final (bounded by --settle-timeout);
 *   5. check: lost (accepted, not final / not there) and duplicated (per request signature) orders;
 *   6. reference: pgbench with one order per transaction on tables of its own;
 *   7. print the settings and one table; exit 1 if anything was lost or duplicated.
 *
 *   npm run bench -- --duration 10 --warmup 2 [--lines 3] [--url http://127.0.0.1:3000] [--skip-pgbench]
 *
 * With --overload <factor> steps 3–7 are overload.ts instead: capacity (calibration run or
 * --capacity), then an open-loop load at factor × capacity, settle, and the overload report.
 * With --behind <seconds> they are behind.ts: reads while order-management is that far behind.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { analyse, duplicatedTotal, lostTotal } from './analysis';
import { describeAppGroups, foreignMembers, kafkaBrokers, waitForNoBacklog, type GroupsSnapshot } from './kafka-groups';
import { driveLoad } from './load';
import { parseOptions } from './options';
import { restockThroughApi } from '@orderline/dev-tools';
import {
  benchProductIds,
  createBenchCustomers,
  createPool,
  DEFAULT_DATABASE_URL,
  durabilitySettings,
  taggedRows,
  waitUntilFinal,
} from './orders-db';
import { BEHIND_SYSTEM_ENV, runBehindBench } from './behind';
import { runOverloadBench } from './overload';
import { runPgbench, type PgbenchResult } from './pgbench';
import { printResults, printSettings } from './report';
import { prepareInfraAndBuild, startOwnSystem, useGivenGateway, type SystemUnderTest } from './system';

/** stock every used product gets at least, before the run */
const STOCK_TOP_UP = 1_000_000;
function assertLoopback(what: string, host: string): void {
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`${what} must point at 127.0.0.1 (got ${host})`);
}

/** The apps' consumer groups (after waiting up to `backlogWaitMs` for the backlog to drain); a failure to look is reported, not fatal. */
async function consumerGroups(brokers: string[], backlogWaitMs = 0): Promise<GroupsSnapshot | string> {
  const look = backlogWaitMs > 0 ? waitForNoBacklog(brokers, backlogWaitMs) : describeAppGroups(brokers);
  return look.catch((error: unknown) => `could not describe the consumer groups: ${String(error)}`);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const runId = randomBytes(4).toString('hex');
  const databaseUrl = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
  const brokers = kafkaBrokers();
  assertLoopback('DATABASE_URL', new URL(databaseUrl).hostname);
  for (const broker of brokers) assertLoopback('KAFKA_BROKERS', broker.split(':')[0] ?? '');

  let system: SystemUnderTest | undefined;
  const pool = createPool(databaseUrl);
  const stopSystem = async () => {
    const stopping = system;
    system = undefined;
    await stopping?.stop();
  };
  const cleanup = async () => {
    await stopSystem();
    await pool.end().catch(() => undefined);
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // 1. the system under test
    if (options.url === undefined) {
      prepareInfraAndBuild();
      system = await startOwnSystem(
        path.join(os.tmpdir(), `orderline-bench-${runId}`),
        runId,
        options.behind !== undefined ? BEHIND_SYSTEM_ENV : {},
      );
    } else {
      system = await useGivenGateway(options.url);
    }
    const gatewayUrl = system.gatewayUrl;
    const startedSystem = system.startedByBench;

    // 2. settings and the stock top-up; who else consumes the apps' groups (another system would share the work)
    const ownPid = startedSystem ? process.pid : undefined;
    const groupsBefore = await consumerGroups(brokers, options.backlogWait * 1000);
    const postgres = await durabilitySettings(pool);
    // through the API, before the measured window: ~2 requests per product, a few seconds for 1,000
    const toppedUp = options.products;
    const restockStarted = Date.now();
    const restocked = await restockThroughApi({ gatewayUrl, productIds: benchProductIds(toppedUp), atLeast: STOCK_TOP_UP, runId });
    console.log(`stock top-up: ${restocked} of ${toppedUp} products restocked through the API in ${Date.now() - restockStarted} ms`);
    if (options.behind !== undefined) {
      const started = system;
      return await runBehindBench({
        options,
        pool,
        gatewayUrl,
        runId,
        deadApps: () => started.deadApps(),
        signalOrderManagement: (signal) => started.signal('order-management', signal),
        metricsUrl: (app) => started.metricsUrl(app),
      });
    }
    if (options.overload !== undefined) {
      return await runOverloadBench({
        options,
        pool,
        gatewayUrl,
        runId,
        startedSystem,
        postgres,
        stockTopUp: { products: toppedUp, quantity: STOCK_TOP_UP },
        groupsBefore,
        ownPid,
        deadApps: () => system?.deadApps() ?? [],
        brokers,
      });
    }
    const customers = await createBenchCustomers(pool, runId, options.customers);
    printSettings({
      options,
      cores: os.cpus().length,
      cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
      gatewayUrl,
      startedSystem,
      postgres,
      stockTopUp: { products: toppedUp, quantity: STOCK_TOP_UP },
      runId,
      groups: groupsBefore,
      ownPid,
    });

    // 3. load
    const load = await driveLoad(options, gatewayUrl, runId, customers);
    const deadDuringLoad = system.deadApps();
    const groupsAfterLoad = await consumerGroups(brokers);

    // 4. settle: every accepted order (warm-up included) must become final
    const acceptedIds = [...new Set(load.records.flatMap((r) => (r.status === 202 && r.orderId ? [r.orderId] : [])))];
    console.log(
      `settle: waiting until ${acceptedIds.length} accepted orders are final (at most ${options.settleTimeout} s after the load) …`,
    );
    const wait = await waitUntilFinal(pool, acceptedIds, load.summary.endedAt + options.settleTimeout * 1000);
    const groupsAfterSettle = await consumerGroups(brokers);
    const foreign = [
      ...new Set(
        [groupsBefore, groupsAfterLoad, groupsAfterSettle].flatMap((g) => (typeof g === 'string' ? [] : foreignMembers(g.groups, ownPid))),
      ),
    ];

    // 5. the rows this run created, for the duplicate check
    const tagged = await taggedRows(pool, runId, load.summary.startedAt - 60_000);
    const metrics = analyse(load, wait, tagged);

    // 6. Postgres reference, with our own system stopped so it does not compete
    if (startedSystem) await stopSystem();
    let reference: PgbenchResult | string | undefined;
    if (!options.skipPgbench) {
      console.log(`reference: pgbench ${options.pgbenchSeconds} s, ${options.pgbenchClients} clients …`);
      reference = await runPgbench(pool, databaseUrl, runId, options.pgbenchSeconds, options.pgbenchClients).catch(
        (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'failed',
      );
    }

    // 7. report and verdict
    console.log('');
    printResults({
      metrics,
      load: load.summary,
      pgbench: reference,
      foreignMembers: foreign,
      backlogAtDeadline: typeof groupsAfterSettle === 'string' ? undefined : groupsAfterSettle.orderCommandsLag,
    });
    const failures = [
      lostTotal(metrics) > 0 ? `${lostTotal(metrics)} accepted orders lost` : '',
      duplicatedTotal(metrics) > 0 ? `${duplicatedTotal(metrics)} duplicated orders` : '',
      load.summary.accepted202WithoutId > 0 ? `${load.summary.accepted202WithoutId} 202s without an order id` : '',
      metrics.accepted === 0 ? 'no order was accepted in the measured window' : '',
      deadDuringLoad.length > 0 ? `apps of the system under test died during the load: ${deadDuringLoad.join(', ')}` : '',
    ].filter(Boolean);
    if (failures.length > 0) {
      console.log(`\nFAILED: ${failures.join('; ')}`);
      return 1;
    }
    console.log('\nOK: nothing lost, nothing duplicated');
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
