/**
 * Runs the open-loop load generator (open-loop-worker.ts) in a separate Node process and collects
 * what it saw: every POST, and the reads of just-accepted orders.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { toRecord, type LoadResult } from './load';
import type { OpenLoopConfig, OpenLoopMessage, OpenLoopSummary, ReadTuple, RequestTuple } from './load-protocol';

export interface OpenLoopResult extends LoadResult {
  summary: OpenLoopSummary;
  reads: ReadTuple[];
}

const WORKER = path.join(__dirname, 'open-loop-worker.ts');
const ROOT = path.resolve(__dirname, '../..');

export function runOpenLoop(config: OpenLoopConfig): Promise<OpenLoopResult> {
  // generous bound: load + drain + start-up and the transfer of the records
  const limitMs = (config.warmupSec + config.durationSec + config.drainMaxSec + 60) * 1000;
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const tuples: RequestTuple[] = [];
    const reads: ReadTuple[] = [];
    let summary: OpenLoopSummary | undefined;
    let failure: string | undefined;
    const killTimer = setTimeout(() => {
      failure = `open-loop load generator did not finish within ${limitMs / 1000} s`;
      child.kill('SIGKILL');
    }, limitMs);

    child.on('message', (message: OpenLoopMessage) => {
      if (message.type === 'records') for (const tuple of message.records) tuples.push(tuple);
      else if (message.type === 'reads') for (const read of message.reads) reads.push(read);
      else if (message.type === 'done') summary = message.summary;
      else failure = message.error;
    });
    child.on('error', (error) => {
      clearTimeout(killTimer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(killTimer);
      if (summary && !failure) resolve({ summary, reads, records: tuples.map((tuple) => toRecord(tuple, config.customers)) });
      else reject(new Error(`open-loop load generator failed (exit ${code ?? signal}): ${failure ?? 'no result'}`));
    });
    child.send(config);
  });
}
