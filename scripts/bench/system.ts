/**
 * The system under test: either the gateway given with --url, or the whole system brought up by
 * the bench (infra:up, nx build, the four built apps via startSystem on ports 3200..3203, or the next
 * free block of four when those are taken).
 */
import { execSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { startSystem, waitFor } from '@orderline/testing';

const ROOT = path.resolve(__dirname, '../..');

export interface SystemUnderTest {
  gatewayUrl: string;
  startedByBench: boolean;
  /** apps started by the bench that are no longer running (always empty with --url) */
  deadApps(): string[];
  /** sends a signal to the (first instance of an) app the bench started, e.g. SIGSTOP / SIGCONT; false with --url */
  signal(app: 'order-management', signal: NodeJS.Signals): boolean;
  /** the /metrics address of the (first instance of an) app the bench started; undefined with --url */
  metricsUrl(app: 'order-management' | 'inventory-service'): string | undefined;
  stop(): Promise<void>;
}

/** preferred base port of the bench's own system, and how far to step when that block is busy */
const BASE_PORT = 3200;
const BASE_PORT_STEP = 40;

function run(command: string, timeoutMs: number, hint: string): void {
  console.log(`$ ${command}`);
  try {
    execSync(command, { cwd: ROOT, stdio: 'inherit', timeout: timeoutMs, env: { ...process.env, NX_DAEMON: 'false' } });
  } catch (error) {
    const status = (error as { status?: number | null }).status;
    throw new Error(`\`${command}\` failed (exit ${status ?? 'timeout/signal'}); ${hint}`);
  }
}

/** Kafka + Postgres up (idempotent, migrates and seeds), every project built. */
export function prepareInfraAndBuild(): void {
  run('npm run infra:up', 10 * 60_000, 'see its output above');
  run(
    'npx nx run-many -t build --output-style=static',
    15 * 60_000,
    'the apps do not build right now (see above); rerun later or bench a running system with --url',
  );
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * 3200 (gateway) .. 3203 (health ports) when free, else the next free block of four. Another system
 * on these ports (e.g. a second bench) would answer our readiness probes while our apps fail to bind.
 */
async function freeBasePort(): Promise<number> {
  for (let i = 0, base = BASE_PORT; i < 10; i++, base += BASE_PORT_STEP) {
    const free = await Promise.all([0, 1, 2, 3].map((offset) => portFree(base + offset)));
    if (free.every(Boolean)) return base;
    console.log(`ports ${base}..${base + 3} are in use (another system?); trying ${base + BASE_PORT_STEP}`);
  }
  throw new Error(`no free block of 4 ports from ${BASE_PORT} on; stop the other systems or use --url`);
}

export async function startOwnSystem(logDir: string, runId: string, env: Record<string, string> = {}): Promise<SystemUnderTest> {
  // a peer group of its own: no other system's gateway on this broker takes a share of the per-customer limits
  const system = await startSystem({
    basePort: await freeBasePort(),
    logDir,
    env: { GATEWAY_PEERS_GROUP: `bench-peers-${runId}`, ...env },
  });
  const deadApps = () => system.instances.filter((instance) => !instance.running).map((instance) => instance.name);
  // readiness could have been answered by someone else's app on our port: make sure ours still run
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  if (deadApps().length > 0) {
    await system.stop();
    throw new Error(`${deadApps().join(', ')} exited right after start; see ${logDir}`);
  }
  console.log(`system up: ${system.gatewayUrl} (app logs in ${logDir})`);
  const signal = (app: 'order-management', sig: NodeJS.Signals) => system.instance(app).child.kill(sig);
  const metricsUrl = (app: 'order-management' | 'inventory-service') => `http://127.0.0.1:${system.instance(app).port}/metrics`;
  return { gatewayUrl: system.gatewayUrl, startedByBench: true, deadApps, signal, metricsUrl, stop: () => system.stop() };
}

export async function useGivenGateway(url: string): Promise<SystemUnderTest> {
  await waitFor(async () => (await fetch(`${url}/health/ready`).catch(() => undefined))?.status === 200, {
    timeoutMs: 30_000,
    intervalMs: 500,
    what: `${url}/health/ready to answer 200`,
  });
  return {
    gatewayUrl: url,
    startedByBench: false,
    deadApps: () => [],
    signal: () => false,
    metricsUrl: () => undefined,
    stop: async () => undefined,
  };
}
