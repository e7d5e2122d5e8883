import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './wait-for';

export const APPS = ['customer-service', 'inventory-service', 'order-management', 'gateway'] as const;
export type AppName = (typeof APPS)[number];

export interface RunningSystem {
  gatewayUrl: string;
  processes: Map<AppName, ChildProcess>;
  logDir: string;
  stop(): Promise<void>;
}

const workspaceRoot = path.resolve(__dirname, '../../..');

/**
 * Starts the four built apps (`apps/<app>/dist/main.js`) as child processes against the running
 * Kafka and Postgres, on ports from `basePort` (gateway) upwards, and waits until each one's
 * /health/ready answers 200. Logs go to `<logDir>/<app>.log`. Used by the e2e tests and `npm start`.
 */
export async function startSystem({
  basePort = 3100,
  logDir = path.join(workspaceRoot, 'test-output', 'system'),
  env = {},
  echo = false,
}: {
  basePort?: number;
  logDir?: string;
  env?: Record<string, string>;
  /** also print every log line to this process' stdout, prefixed with the app name */
  echo?: boolean;
} = {}): Promise<RunningSystem> {
  mkdirSync(logDir, { recursive: true });
  const ports: Record<AppName, number> = {
    gateway: basePort,
    'order-management': basePort + 1,
    'customer-service': basePort + 2,
    'inventory-service': basePort + 3,
  };
  const processes = new Map<AppName, ChildProcess>();
  for (const app of APPS) {
    const child = spawn(process.execPath, [path.join(workspaceRoot, 'apps', app, 'dist', 'main.js')], {
      cwd: workspaceRoot,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: String(ports.gateway),
        HEALTH_PORT: String(ports[app]),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(path.join(logDir, `${app}.log`), { flags: 'a' });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.pipe(log);
      if (echo) {
        createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) =>
          process.stdout.write(`${app.padEnd(17)} | ${line}\n`),
        );
      }
    }
    processes.set(app, child);
  }
  const stop = async () => {
    await Promise.all(
      [...processes.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 12_000).unref();
          }),
      ),
    );
  };
  try {
    for (const app of APPS) {
      await waitFor(
        async () => {
          const child = processes.get(app);
          if (child?.exitCode !== null) throw new Error(`${app} exited with ${child?.exitCode}; see ${logDir}/${app}.log`);
          const res = await fetch(`http://127.0.0.1:${ports[app]}/health/ready`).catch(() => undefined);
          return res?.status === 200;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: `${app} to be ready` },
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { gatewayUrl: `http://127.0.0.1:${ports.gateway}`, processes, logDir, stop };
}
