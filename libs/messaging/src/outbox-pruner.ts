import type { Logger } from '@orderline/logging';

/** An outbox table as the pruner uses it: libs/db's OutboxRepository. */
export interface PrunableOutbox {
  readonly source: string;
  /** deletes at most `limit` rows published more than `olderThanMs` ago; how many went */
  deletePublished(olderThanMs: number, limit: number): Promise<number>;
}

export interface OutboxPrunerOptions {
  outbox: PrunableOutbox;
  /** a published row is kept this long (for looking into what was sent), then deleted */
  retentionMs: number;
  logger: Logger;
  /** a round every this long */
  everyMs?: number;
  /** rows per DELETE: each statement stays short */
  batchSize?: number;
  /** DELETEs per round at most: a round after a long pause does not hold the database for long */
  maxBatchesPerRound?: number;
}

export interface OutboxPruner {
  /** one round now (tests); resolves with the rows deleted */
  prune(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Deletes outbox rows some time after they were published. The relay only marks a row published
 * (its event is in Kafka from then on), so without this the table grows by every event ever
 * written: 1.9 M rows (1.6 GB) after a day of benchmarks here, and every index and vacuum of it
 * with them. Every instance may run one: concurrent rounds skip each other's rows.
 */
export function startOutboxPruner({
  outbox,
  retentionMs,
  logger,
  everyMs = 10_000,
  batchSize = 5_000,
  maxBatchesPerRound = 100,
}: OutboxPrunerOptions): OutboxPruner {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<number> | undefined;

  const prune = async (): Promise<number> => {
    let deleted = 0;
    for (let batch = 0; batch < maxBatchesPerRound && running; batch++) {
      const count = await outbox.deletePublished(retentionMs, batchSize);
      deleted += count;
      if (count < batchSize) break;
    }
    return deleted;
  };

  const next = () => {
    if (!running) return;
    timer = setTimeout(() => {
      round = prune()
        .then(
          (deleted) => {
            if (deleted > 0) logger.debug('outbox rows deleted after their retention', { table: outbox.source, deleted });
            return deleted;
          },
          (error: unknown) => {
            // the next round tries again; rows kept a little longer cost nothing
            logger.warn('could not delete published outbox rows, will retry', { table: outbox.source, error: String(error) });
            return 0;
          },
        )
        .finally(next);
    }, everyMs);
  };
  next();

  return {
    prune,
    async stop() {
      running = false;
      clearTimeout(timer);
      await round;
    },
  };
}
