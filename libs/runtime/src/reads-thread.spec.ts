import { writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createLogger } from '@orderline/logging';
import { lowerThreadPriority, startReadsThread, type ReadsThreadBounds } from './reads-thread';

const logger = createLogger('reads-thread-spec', 'error');
const bounds: ReadsThreadBounds = { startTimeoutMs: 5_000, askTimeoutMs: 300, stopTimeoutMs: 300 };

/**
 * A stand-in reads thread in plain JS (the real one is the app's bundle, covered by the e2e suite):
 * it speaks the main thread's protocol the way `mode` says.
 */
function fixture(mode: string): string {
  const file = path.join(tmpdir(), `reads-thread-fixture-${process.pid}-${mode}.cjs`);
  writeFileSync(
    file,
    `
const { parentPort } = require('node:worker_threads');
const mode = ${JSON.stringify(mode)};
if (mode === 'exit-at-start') process.exit(3);
if (mode === 'fail-at-start') parentPort.postMessage({ kind: 'failed', error: 'no database' });
if (mode === 'never-ready') setInterval(() => undefined, 1000);
parentPort.on('message', (message) => {
  if (mode === 'deaf') return;
  if (message.kind === 'metrics') parentPort.postMessage({ kind: 'answer', id: message.id, value: [{ name: 'm', help: 'h', type: 'gauge', values: [], aggregator: 'sum' }] });
  if (message.kind === 'stalled') parentPort.postMessage({ kind: 'answer', id: message.id, value: ['queries 0'] });
  if (message.kind === 'stop') { parentPort.postMessage({ kind: 'stopped' }); parentPort.close(); }
});
if (mode === 'deaf') setInterval(() => undefined, 1000);
if (['ready', 'deaf', 'die-later'].includes(mode)) parentPort.postMessage({ kind: 'ready' });
if (mode === 'die-later') setTimeout(() => process.exit(4), 50);
`,
  );
  return file;
}

const startIn = (mode: string, overrides: Partial<ReadsThreadBounds> = {}) =>
  startReadsThread(logger, fixture(mode), { ...bounds, ...overrides });

afterEach(() => jest.restoreAllMocks());

describe('the reads thread, seen from the main thread', () => {
  it('starts, answers for its metrics and stalled partitions, and stops', async () => {
    const reads = await startIn('ready');
    expect((await reads.metrics()).map((metric) => metric.name)).toEqual(['m']);
    expect(await reads.stalledPartitions(1_000)).toEqual(['queries 0']);
    const started = Date.now();
    await reads.stop();
    expect(Date.now() - started).toBeLessThan(bounds.stopTimeoutMs);
  });

  it('fails to start when the thread reports a failure, exits, or is not ready in time', async () => {
    await expect(startIn('fail-at-start')).rejects.toThrow('reads thread: no database');
    await expect(startIn('exit-at-start')).rejects.toThrow('the reads thread exited with 3 while starting');
    await expect(startIn('never-ready', { startTimeoutMs: 200 })).rejects.toThrow('the reads thread did not start within 200 ms');
  });

  it('does not wait for a thread that does not answer: no metrics, counted as stalled, terminated on stop', async () => {
    const reads = await startIn('deaf');
    const asked = Date.now();
    expect(await reads.metrics()).toEqual([]);
    expect(await reads.stalledPartitions(1_000)).toEqual(['reads thread (no answer)']);
    expect(Date.now() - asked).toBeLessThan(3 * bounds.askTimeoutMs);
    const stopping = Date.now();
    await reads.stop();
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(bounds.stopTimeoutMs - 20);
  });

  it('exits the process when the thread dies after it started: no half-working service', async () => {
    const exited = new Promise<number | undefined>((resolve) => {
      jest.spyOn(process, 'exit').mockImplementation(((code?: number) => resolve(code)) as typeof process.exit);
    });
    await startIn('die-later');
    expect(await exited).toBe(1);
  });
});

describe('lowerThreadPriority', () => {
  it('lowers the calling thread only: a thread started before keeps its priority', async () => {
    const other = new Worker(
      `const { parentPort } = require('node:worker_threads'); const os = require('node:os');
       parentPort.on('message', () => parentPort.postMessage(os.getPriority(0)));`,
      { eval: true },
    );
    const priorityOfOther = () =>
      new Promise<number>((resolve) => {
        other.once('message', resolve);
        other.postMessage('?');
      });
    const before = getPriority(0);
    lowerThreadPriority(Math.min(19, before + 3), logger);
    expect(getPriority(0)).toBe(Math.min(19, before + 3));
    expect(await priorityOfOther()).toBe(before);
    lowerThreadPriority(0, logger); // 0: leaves it as it is
    expect(getPriority(0)).toBe(Math.min(19, before + 3));
    await other.terminate();
  });
});
