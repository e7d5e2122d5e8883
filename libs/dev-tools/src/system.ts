import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './wait-for';

export const APPS = ['customer-service', 'inventory-service', 'notification-service', 'order-management', 'gateway'] as const;
export type AppName = (typeof APPS)[number];

const workspaceRoot = path.resolve(__dirname, '../../..');
const portOffset: Record<AppName, number> = {
  gateway: 0,
  'order-management': 1,
  'customer-service': 2,
  'inventory-service': 3,
  'notification-service': 4,
};

/** One running app process: its port (gateway: HTTP; others: health), and how to stop or replace it. */
export class AppInstance {
  child!: ChildProcess;

  constructor(
    readonly app: AppName,
    readonly index: number,
    readonly port: number,
    private readonly options: { logDir: string; env: Record<string, string>; gatewayPort: number; echo: boolean },
  ) {}

  get name(): string {
    return `${this.app}#${this.index}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const { logDir, env, echo } = this.options;
    // APP_NODE_ARGS: extra node flags for every app, `%APP%` standing for its name, e.g.
    // APP_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof/%APP%" (node refuses --cpu-prof in NODE_OPTIONS)
    const nodeArgs = (process.env['APP_NODE_ARGS'] ?? '')
      .split(' ')
      .filter(Boolean)
      .map((arg) => arg.replaceAll('%APP%', this.app));
    this.child = spawn(process.execPath, [...nodeArgs, path.join(workspaceRoot, 'apps', this.app, 'dist', 'main.js')], {
      cwd: workspaceRoot,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        PORT: String(this.app === 'gateway' ? this.port : this.options.gatewayPort),
        HEALTH_PORT: String(this.port),
        INSTANCE_ID: `${this.app}-${this.index}-${process.pid}-${Date.now() % 100_000}`,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(path.join(logDir, `${this.app}${this.index ? `-${this.index}` : ''}.log`), { flags: 'a' });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.pipe(log);
      if (echo) {
        createInterface({ input: stream as NodeJS.ReadableStream }).on('line', (line) =>
          process.stdout.write(`${this.name.padEnd(19)} | ${line}\n`),
        );
      }
    }
  }

  /** Resolves when /health/ready answers 200; fails if the process exits first. */
  async ready(timeoutMs = 60_000): Promise<void> {
    if (!this.running) throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode}); see its log`);
    const exited = new Promise<never>((_, reject) =>
      this.child.once('exit', (code, signal) => reject(new Error(`${this.name} exited (${code ?? signal}); see its log`))),
    );
    const up = waitFor(async () => (await fetch(`http://127.0.0.1:${this.port}/health/ready`).catch(() => undefined))?.status === 200, {
      timeoutMs,
      intervalMs: 200,
      what: `${this.name} to be ready`,
    });
    exited.catch(() => undefined);
    await Promise.race([up, exited]);
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. Resolves with the exit code. */
  stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 12_000): Promise<number | null> {
    return new Promise((resolve) => {
      if (!this.running) return resolve(this.child?.exitCode ?? null);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      this.child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      this.child.kill(signal);
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    this.start();
    await this.ready();
  }
}

export interface RunningSystem {
  gatewayUrl: string;
  instances: AppInstance[];
  /** the first instance of each app */
  processes: Map<AppName, ChildProcess>;
  logDir: string;
  instance(app: AppName, index?: number): AppInstance;
  stop(): Promise<void>;
}

/**
 * Starts the five built apps (`apps/<app>/dist/main.js`) as child processes against the running
 * Kafka and Postgres and waits until each one's /health/ready answers 200. Instance i of an app
 * listens on basePort + 10·i + (gateway 0, order-management 1, customer-service 2, inventory 3,
 * notification-service 4).
 * Logs go to `<logDir>/<app>[-i].log`. Used by the e2e and fault tests, the bench and `npm start`.
 */
export async function startSystem({
  basePort = 3100,
  logDir = path.join(workspaceRoot, 'test-output', 'system'),
  env = {},
  echo = false,
  instances = {},
}: {
  basePort?: number;
  logDir?: string;
  env?: Record<string, string>;
  /** also print every log line to this process' stdout, prefixed with the instance name */
  echo?: boolean;
  /** how many instances of each app (default 1) */
  instances?: Partial<Record<AppName, number>>;
} = {}): Promise<RunningSystem> {
  mkdirSync(logDir, { recursive: true });
  const all: AppInstance[] = [];
  for (const app of APPS) {
    for (let i = 0; i < (instances[app] ?? 1); i++) {
      all.push(new AppInstance(app, i, basePort + 10 * i + portOffset[app], { logDir, env, gatewayPort: basePort, echo }));
    }
  }
  const stop = async () => {
    await Promise.all(all.map((instance) => instance.stop()));
  };
  try {
    for (const instance of all) instance.start();
    for (const instance of all) await instance.ready();
  } catch (error) {
    await stop();
    throw error;
  }
  const instance = (app: AppName, index = 0) => {
    const found = all.find((i) => i.app === app && i.index === index);
    if (!found) throw new Error(`no instance ${app}#${index}`);
    return found;
  };
  return {
    gatewayUrl: `http://127.0.0.1:${basePort}`,
    instances: all,
    processes: new Map(APPS.map((app) => [app, instance(app).child])),
    logDir,
    instance,
    stop,
  };
}
