/**
 * `npm run faults`: fault tests against the real system (Kafka, Postgres and the four apps as
 * processes, all on 127.0.0.1). Each scenario places orders through the gateway while a fault is
 * injected, then checks that no accepted order was lost or doubled and that stock adds up:
 *
 *   om-kill           SIGKILL order-management mid-load, restart it (≥ 5,000 orders)
 *   inventory-kill    SIGKILL inventory-service mid-load, restart it
 *   kafka-restart     stop the Kafka broker mid-load, start it again
 *   postgres-restart  stop Postgres mid-load, start it again
 *   poison            publish poison messages onto every consumed topic mid-load
 *
 * Options: --only om-kill,poison   --orders 5000 (om-kill; the others use 60 %)   --concurrency 32
 * Prints `accepted / final / lost / duplicated` and stock conservation per scenario; exits 1 if
 * any scenario lost or doubled anything or stock does not add up.
 */
import { execSync } from 'node:child_process';
import path from 'node:path';
import { publishPoison } from './poison';
import { createLogger } from '@orderline/logging';
import { Publisher, createKafka } from '@orderline/messaging';
import { createTestCustomer, signToken, startSystem, testPrisma, type RunningSystem } from '@orderline/testing';
import { runLoad } from './load';
import { verify, type Verdict } from './check';

const root = path.resolve(__dirname, '../..');
const sh = (command: string) => execSync(command, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

type Fault = (system: RunningSystem, publisher: Publisher) => Promise<void>;

const killAndRestart =
  (app: 'order-management' | 'inventory-service'): Fault =>
  async (system) => {
    const instance = system.instance(app);
    await instance.stop('SIGKILL');
    await sleep(2_000);
    instance.start();
    await instance.ready();
  };

const scenarios: Record<string, { fault: Fault; share: number }> = {
  'om-kill': { fault: killAndRestart('order-management'), share: 1 },
  'inventory-kill': { fault: killAndRestart('inventory-service'), share: 0.6 },
  'kafka-restart': {
    fault: async () => {
      sh('bash scripts/infra/kafka.sh stop');
      await sleep(3_000);
      sh('bash scripts/infra/kafka.sh start');
    },
    share: 0.6,
  },
  'postgres-restart': {
    fault: async () => {
      sh('bash scripts/infra/postgres.sh stop');
      await sleep(3_000);
      sh('bash scripts/infra/postgres.sh start');
    },
    share: 0.6,
  },
  poison: { fault: (_system, publisher) => publishPoison(publisher), share: 0.6 },
};

async function main() {
  const only = option('only', Object.keys(scenarios).join(',')).split(',');
  const orders = Number(option('orders', '5000'));
  const concurrency = Number(option('concurrency', '32'));
  for (const name of only) if (!scenarios[name]) throw new Error(`unknown scenario ${name}`);

  sh('bash scripts/infra/up.sh');
  sh('npx nx run-many -t build --output-style=static');
  const system = await startSystem({ basePort: 3400, logDir: path.join(root, 'test-output', 'faults') });
  const prisma = testPrisma();
  const kafka = createKafka({ clientId: 'faults', brokers: ['127.0.0.1:9092'], logger: createLogger('faults', 'error') });
  const publisher = new Publisher(kafka);
  await publisher.connect();

  const rows: [string, Verdict][] = [];
  try {
    for (const name of only) {
      const { fault, share } = scenarios[name];
      const count = Math.round(orders * share);
      const customerId = await createTestCustomer(prisma);
      // 20 products holding 80 % of what the orders ask for: most confirm, some run out of stock.
      const perProduct = Math.floor((count * 1.5 * 0.8) / 20);
      const products = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          prisma.product.create({
            data: { id: `F-${name.slice(0, 6)}-${Date.now() % 1e8}-${i}`, name: `fault ${name} ${i}`, unitPrice: '1.00', availableQuantity: perProduct },
          }),
        ),
      );
      const productIds = products.map((p) => p.id);
      console.log(`\n[faults] ${name}: ${count} orders, concurrency ${concurrency}, fault after ${Math.round(count * 0.3)}`);
      const started = Date.now();
      const load = await runLoad({
        gatewayUrl: system.gatewayUrl,
        token: signToken({ sub: customerId, role: 'customer' }),
        productIds,
        orders: count,
        concurrency,
        faultAt: Math.round(count * 0.3),
        onFault: async () => {
          console.log(`[faults] ${name}: injecting the fault`);
          await fault(system, publisher);
          console.log(`[faults] ${name}: recovered after ${((Date.now() - started) / 1000).toFixed(1)} s of load`);
        },
      });
      console.log(
        `[faults] ${name}: load done in ${((Date.now() - started) / 1000).toFixed(1)} s; non-202 answers ${JSON.stringify(Object.fromEntries(load.statuses))}; gave up ${load.gaveUp}`,
      );
      const verdict = await verify(prisma, {
        accepted: load.accepted,
        customerId,
        products: productIds,
        initialStock: perProduct * productIds.length,
      });
      rows.push([name, verdict]);
      console.log(`[faults] ${name}: ${JSON.stringify(verdict)}`);
    }
  } finally {
    await publisher.disconnect().catch(() => undefined);
    await system.stop();
    await prisma.$disconnect();
  }

  console.log('\nscenario          accepted  final  lost  duplicated  dup-events  confirmed  rejected  final-after  stock');
  let failed = 0;
  for (const [name, v] of rows) {
    const ok = v.lost === 0 && v.duplicated === 0 && v.duplicatedEvents === 0 && v.stockConserved;
    if (!ok) failed++;
    console.log(
      `${name.padEnd(17)} ${String(v.accepted).padStart(8)} ${String(v.final).padStart(6)} ${String(v.lost).padStart(5)} ${String(v.duplicated).padStart(11)} ${String(v.duplicatedEvents).padStart(11)} ${String(v.confirmed).padStart(10)} ${String(v.rejected).padStart(9)} ${`${v.secondsToFinal.toFixed(1)} s`.padStart(12)}  ${v.stockConserved ? 'conserved' : 'BROKEN'} (${v.stockDetail})`,
    );
  }
  console.log(`\nfaults: ${rows.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
