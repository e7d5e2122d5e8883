/**
 * Runs the open-loop load generator (open-loop-worker.ts) and the reader of just-accepted orders
 * (open-loop-reader.ts) in Node processes of their own, passes the orders to read from one to the
 * other, and collects what they saw: every POST, and the reads.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { toRecord, type LoadResult } from './load';
import type {
  OpenLoopConfig,
  OpenLoopMessage,
  OpenLoopSummary,
  ReadTuple,
  ReaderMessage,
  ReaderRequest,
  RequestTuple,
} from './load-protocol';

export interface OpenLoopResult extends LoadResult {
  summary: OpenLoopSummary;
  reads: ReadTuple[];
  /** connection errors of the reads by code */
  readErrors: Record<string, number>;
}

const WORKER = path.join(__dirname, 'open-loop-worker.ts');
const READER = path.join(__dirname, 'open-loop-reader.ts');
const ROOT = path.resolve(__dirname, '../..');

export function runOpenLoop(config: OpenLoopConfig): Promise<OpenLoopResult> {
  // generous bound: load + drain + start-up and the transfer of the records
  const limitMs = (config.warmupSec + config.durationSec + config.drainMaxSec + 60) * 1000;
  return new Promise((resolve, reject) => {
    const options = { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as const };
    const reader = fork(READER, [config.url, String(config.drainMaxSec * 1000), config.readMix], { ...options, stdio: [...options.stdio] });
    const child = fork(WORKER, [], { ...options, stdio: [...options.stdio] });
    const tuples: RequestTuple[] = [];
    let readerResult: ReaderMessage | undefined;
    let summary: OpenLoopSummary | undefined;
    let failure: string | undefined;
    const killTimer = setTimeout(() => {
      failure = `open-loop load generator did not finish within ${limitMs / 1000} s`;
      child.kill('SIGKILL');
      reader.kill('SIGKILL');
    }, limitMs);
    const toReader = (request: ReaderRequest) => {
      if (reader.connected) reader.send(request);
    };

    reader.on('message', (message: ReaderMessage) => (readerResult = message));
    child.on('message', (message: OpenLoopMessage) => {
      if (message.type === 'records') for (const tuple of message.records) tuples.push(tuple);
      else if (message.type === 'read') toReader(message);
      else if (message.type === 'done') summary = message.summary;
      else failure = message.error;
    });
    for (const process of [child, reader])
      process.on('error', (error) => {
        clearTimeout(killTimer);
        reject(error);
      });
    // the generator is done: the reader finishes its reads in flight and reports
    child.on('exit', () => toReader({ type: 'finish' }));
    const exited = (p: typeof child) => new Promise<number | string | null>((done) => p.on('exit', (code, signal) => done(code ?? signal)));
    void Promise.all([exited(child), exited(reader)]).then(([code]) => {
      clearTimeout(killTimer);
      if (summary && readerResult && !failure) {
        resolve({
          summary,
          reads: readerResult.reads,
          readErrors: readerResult.errors,
          records: tuples.map((tuple) => toRecord(tuple, config.customers)),
        });
      } else {
        reject(
          new Error(
            `open-loop load generator failed (exit ${code}): ${failure ?? (readerResult ? 'no result' : 'the reader reported nothing')}`,
          ),
        );
      }
    });
    child.send(config);
  });
}
