/**
 * `npm start`: the whole system on this machine with sensible defaults.
 * Starts Kafka + Postgres (idempotent), migrates and seeds the database, builds the five apps and
 * runs them (gateway on http://127.0.0.1:3000). Ctrl+C stops the apps; `npm run infra:down`
 * stops Kafka and Postgres.
 * ORDERLINE_INSTANCES="order-management=2,inventory-service=2" runs several instances of an app.
 * KAFKA_CLUSTER_SIZE=3 runs Kafka as a three-broker cluster (scripts/infra/kafka.sh) and gives the
 * apps all three brokers.
 */
import { execSync } from 'node:child_process';
import path from 'node:path';
import { APPS, startSystem, type AppName } from '@orderline/dev-tools';

const root = path.resolve(__dirname, '..');
const run = (command: string) => execSync(command, { cwd: root, stdio: 'inherit', env: { ...process.env, NX_DAEMON: 'false' } });

async function main() {
  run('bash scripts/infra/up.sh');
  // the apps (child processes) get the brokers infra:up started: one, or the cluster's three
  process.env['KAFKA_BROKERS'] ??= execSync('bash scripts/infra/kafka.sh brokers', { cwd: root, encoding: 'utf8' }).trim();
  run('npx nx run-many -t build --output-style=static');
  const port = Number(process.env['PORT'] ?? 3000);
  const instances: Partial<Record<AppName, number>> = {};
  for (const entry of (process.env['ORDERLINE_INSTANCES'] ?? '').split(',').filter(Boolean)) {
    const [app, count] = entry.split('=');
    if (!APPS.includes(app as AppName) || !(Number(count) >= 1)) throw new Error(`ORDERLINE_INSTANCES: bad entry ${entry}`);
    instances[app as AppName] = Number(count);
  }
  const system = await startSystem({
    basePort: port,
    logDir: path.join(root, '.infra', 'logs'),
    echo: process.env['ORDERLINE_QUIET'] !== '1',
    instances,
    env: { NODE_ENV: process.env['NODE_ENV'] ?? 'development', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
  console.log(`\norderline is up: ${system.gatewayUrl}  (token: npm run token -- CUST01; Ctrl+C stops)\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the apps (Kafka and Postgres keep running: npm run infra:down)');
    await system.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  for (const instance of system.instances) {
    instance.child.on('exit', (code) => {
      if (!stopping) {
        console.error(`${instance.name} exited with ${code}; stopping`);
        void stop();
      }
    });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
