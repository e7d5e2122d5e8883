/**
 * Runs the load generator (load-worker.ts) in a separate Node process and collects what it saw.
 * The measuring process only waits here; it shares no event loop with autocannon.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { signToken } from '@orderline/testing';
import type { LoadConfig, LoadSummary, RequestRecord, RequestTuple, WorkerMessage } from './load-protocol';

export interface LoadResult {
  summary: LoadSummary;
  /** every POST sent, ordered by seq */
  records: RequestRecord[];
}

const WORKER = path.join(__dirname, 'load-worker.ts');
const ROOT = path.resolve(__dirname, '../..');

function runLoad(config: LoadConfig): Promise<LoadResult> {
  // generous bound: load + drain + start-up and the transfer of the records
  const limitMs = (config.warmupSec + config.durationSec + config.drainMaxSec + 60) * 1000;
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const tuples: RequestTuple[] = [];
    let summary: LoadSummary | undefined;
    let failure: string | undefined;
    const killTimer = setTimeout(() => {
      failure = `load generator did not finish within ${limitMs / 1000} s`;
      child.kill('SIGKILL');
    }, limitMs);

    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'records') for (const tuple of message.records) tuples.push(tuple);
      else if (message.type === 'done') summary = message.summary;
      else failure = message.error;
    });
    child.on('error', (error) => {
      clearTimeout(killTimer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      if (summary && !failure) resolve({ summary, records: tuples.map((tuple) => toRecord(tuple, config.customers)) });
      else reject(new Error(`load generator failed (exit ${code ?? signal}): ${failure ?? 'no result'}`));
    });
    child.send(config);
  });
}

export function toRecord([seq, phase, customer, sentAt, latencyMs, status, orderId]: RequestTuple, customers: string[]): RequestRecord {
  return {
    seq,
    phase: phase === 0 ? 'warmup' : 'measure',
    customerId: customers[customer] ?? `#${customer}`,
    sentAt,
    latencyMs: latencyMs >= 0 ? latencyMs : undefined,
    status: status > 0 ? status : undefined,
    orderId: orderId || undefined,
  };
}

/** after the measured window, wait at most this long for the answers of POSTs in flight */
export const DRAIN_MAX_SEC = 15;

/** Drives the closed-loop load (autocannon, `connections` connections) in the child process and reports progress. */
export async function driveLoad(
  options: { connections: number; warmup: number; duration: number; products: number; lines: number },
  gatewayUrl: string,
  runId: string,
  customers: string[],
): Promise<LoadResult> {
  console.log(`load: ${options.warmup} s warm-up + ${options.duration} s measured, ${options.connections} connections …`);
  const load = await runLoad({
    url: gatewayUrl,
    connections: options.connections,
    warmupSec: options.warmup,
    durationSec: options.duration,
    drainMaxSec: DRAIN_MAX_SEC,
    products: options.products,
    lines: options.lines,
    customers,
    tokens: customers.map((sub) => signToken({ sub, role: 'customer' })),
    runId,
  });
  const accepted = load.records.filter((r) => r.status === 202).length;
  console.log(
    `load done: ${load.records.length} POSTs sent, ${accepted} accepted (202), drained in ${((load.summary.endedAt - load.summary.measureEndedAt) / 1000).toFixed(1)} s`,
  );
  return load;
}
