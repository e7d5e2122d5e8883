import { getPriority, setPriority } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '@orderline/logging';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

/**
 * A service's reads (order lookups and lists, the catalog) run in a worker thread of their own: the
 * same bundle started again, where `startService` runs the service's `reads` instead of its `start`.
 * With an event loop of their own they never wait behind a decision batch, and the thread doing the
 * writes can give up the CPU to them (`lowerThreadPriority`): on a saturated machine, a backlog of
 * decisions is worked off with what the reads leave.
 */
const READS_THREAD_MARK = 'orderline-reads-thread';

/** true in the reads thread of a service (its main.ts runs there too, up to `startService`) */
export function isReadsThread(): boolean {
  return !isMainThread && (workerData as { role?: string } | null)?.role === READS_THREAD_MARK;
}

/** Messages between the main thread and the reads thread. */
type ToReads = { kind: 'metrics'; id: number } | { kind: 'stalled'; id: number; forMs: number } | { kind: 'stop' };
type FromReads =
  | { kind: 'ready' }
  | { kind: 'failed'; error: string }
  | { kind: 'answer'; id: number; value: unknown }
  | { kind: 'stopped' };

/** What the main thread asks of the running reads thread. */
export interface ReadsThread {
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  stalledPartitions(forMs: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** Bounds of the main thread's waits for the reads thread (options for specs). */
export interface ReadsThreadBounds {
  /** to be ready: its consumers joined their groups */
  startTimeoutMs: number;
  /** to answer a question (metrics, stalled partitions) */
  askTimeoutMs: number;
  /** to stop, before it is terminated */
  stopTimeoutMs: number;
}

const DEFAULT_BOUNDS: ReadsThreadBounds = { startTimeoutMs: 60_000, askTimeoutMs: 2_000, stopTimeoutMs: 5_000 };

/**
 * Starts this process's entry script again as the reads thread and resolves once its consumers are
 * in their groups. If the thread dies later (not on `stop`), the process exits 1: a service
 * answering no reads must be restarted, not left half-working.
 */
export function startReadsThread(
  logger: Logger,
  entry = require.main?.filename ?? process.argv[1],
  bounds: ReadsThreadBounds = DEFAULT_BOUNDS,
): Promise<ReadsThread> {
  const { startTimeoutMs, askTimeoutMs, stopTimeoutMs } = bounds;
  const worker = new Worker(entry, { workerData: { role: READS_THREAD_MARK } });
  let stopping = false;
  let nextId = 0;
  const waiting = new Map<number, (value: unknown) => void>();

  const ask = <T>(message: ToReads & { id: number }, fallback: T): Promise<T> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(message.id);
        resolve(fallback);
      }, askTimeoutMs);
      waiting.set(message.id, (value) => {
        clearTimeout(timer);
        resolve(value as T);
      });
      worker.postMessage(message);
    });

  return new Promise((resolve, reject) => {
    const startTimer = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`the reads thread did not start within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    let started = false;
    worker.on('message', (message: FromReads) => {
      if (message.kind === 'answer') return waiting.get(message.id)?.(message.value);
      if (message.kind === 'failed') {
        clearTimeout(startTimer);
        stopping = true;
        void worker.terminate();
        return reject(new Error(`reads thread: ${message.error}`));
      }
      if (message.kind !== 'ready') return;
      clearTimeout(startTimer);
      started = true;
      resolve({
        metrics: () => ask({ kind: 'metrics', id: nextId++ }, []),
        stalledPartitions: (forMs) => ask({ kind: 'stalled', id: nextId++, forMs }, ['reads thread (no answer)']),
        stop: () => {
          stopping = true;
          const exited = new Promise<void>((done) => worker.once('exit', () => done()));
          worker.postMessage({ kind: 'stop' } satisfies ToReads);
          const timeout = new Promise<void>((done) => setTimeout(done, stopTimeoutMs).unref());
          return Promise.race([exited, timeout.then(() => worker.terminate().then(() => undefined))]);
        },
      });
    });
    worker.on('error', (error) => logger.error('reads thread failed', { error: error.message }));
    worker.on('exit', (code) => {
      if (stopping) return;
      clearTimeout(startTimer);
      if (!started) return reject(new Error(`the reads thread exited with ${code} while starting`));
      logger.error('reads thread exited; exiting', { code });
      process.exit(1);
    });
  });
}

/**
 * In the reads thread: answers the main thread's questions, reports `ready` once `start` resolved
 * (or `failed`), and on `stop` runs `stop`, says so and lets the thread end.
 */
export async function serveReadsThread(options: {
  start(): Promise<void>;
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  stalledPartitions(forMs: number): string[];
  stop(): Promise<void>;
}): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveReadsThread outside a worker thread');
  const post = (message: FromReads) => port.postMessage(message);
  port.on('message', (message: ToReads) => {
    if (message.kind === 'metrics') void options.metrics().then((value) => post({ kind: 'answer', id: message.id, value }));
    else if (message.kind === 'stalled') post({ kind: 'answer', id: message.id, value: options.stalledPartitions(message.forMs) });
    else if (message.kind === 'stop')
      void options
        .stop()
        .catch(() => undefined)
        .then(() => {
          post({ kind: 'stopped' });
          port.close();
        });
  });
  try {
    await options.start();
    post({ kind: 'ready' });
  } catch (error) {
    post({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * Lowers the calling thread's priority to niceness `nice` (Linux: setpriority with pid 0 applies to the
 * calling thread only, and threads started later inherit it, so start the reads thread first).
 * A platform that refuses keeps the thread as it was: priority is a preference, not a requirement.
 */
export function lowerThreadPriority(nice: number, logger: Logger): void {
  if (nice <= getPriority(0)) return; // only ever lower it (a process started niced stays so)
  try {
    setPriority(0, nice);
    logger.info('write path runs at lower priority', { nice });
  } catch (error) {
    logger.warn('could not lower the thread priority', { nice, error: String(error) });
  }
}
