import { createLogger } from '@orderline/logging';
import { startOutboxPruner, type PrunableOutbox } from './outbox-pruner';

const logger = createLogger('outbox-pruner-test', 'error');

/** An outbox holding `rows` rows old enough to go, deleting at most `limit` a call. */
function fakeOutbox(rows: number, { failFirst = false } = {}) {
  const calls: { olderThanMs: number; limit: number }[] = [];
  let left = rows;
  let failed = !failFirst;
  const outbox: PrunableOutbox & { calls: typeof calls; left: () => number } = {
    source: 'outbox_events',
    calls,
    left: () => left,
    async deletePublished(olderThanMs, limit) {
      calls.push({ olderThanMs, limit });
      if (!failed) {
        failed = true;
        throw new Error('database unavailable');
      }
      const deleted = Math.min(limit, left);
      left -= deleted;
      return deleted;
    },
  };
  return outbox;
}

describe('startOutboxPruner', () => {
  afterEach(() => jest.useRealTimers());

  it('deletes rows past their retention in batches until a batch is not full', async () => {
    const outbox = fakeOutbox(12_345);
    const pruner = startOutboxPruner({ outbox, retentionMs: 3_600_000, logger, everyMs: 60_000, batchSize: 5_000 });
    await expect(pruner.prune()).resolves.toBe(12_345);
    expect(outbox.calls).toEqual([
      { olderThanMs: 3_600_000, limit: 5_000 },
      { olderThanMs: 3_600_000, limit: 5_000 },
      { olderThanMs: 3_600_000, limit: 5_000 },
    ]);
    await pruner.stop();
  });

  it('does at most maxBatchesPerRound deletes a round: the rest waits for the next', async () => {
    const outbox = fakeOutbox(1_000_000);
    const pruner = startOutboxPruner({ outbox, retentionMs: 60_000, logger, everyMs: 60_000, batchSize: 1_000, maxBatchesPerRound: 3 });
    await expect(pruner.prune()).resolves.toBe(3_000);
    expect(outbox.left()).toBe(997_000);
    await pruner.stop();
  });

  it('runs a round every everyMs, and after a failed round tries again at the next', async () => {
    jest.useFakeTimers();
    const outbox = fakeOutbox(7, { failFirst: true });
    const pruner = startOutboxPruner({ outbox, retentionMs: 60_000, logger, everyMs: 10_000, batchSize: 5 });
    await jest.advanceTimersByTimeAsync(10_000);
    expect(outbox.calls).toHaveLength(1); // failed
    expect(outbox.left()).toBe(7);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(outbox.left()).toBe(0);
    await pruner.stop();
    const calls = outbox.calls.length;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(outbox.calls).toHaveLength(calls);
  });
});
