import { Headers, Topics, deadLetterTopic } from '@orderline/contracts';
import type { Logger } from '@orderline/logging';
import type { Publisher } from '@orderline/messaging';
import type { OutboxRepository } from '../db/outbox-repository';

export interface OutboxRelay {
  /** Events were committed to the outbox: publish them now instead of at the next poll. */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Publishes the order events written to the outbox to `orders.events` (key: order id), in
 * order, at least once. Runs when this instance commits events (`wake`), and polls every
 * `idleMs` besides for rows nobody woke it for (another instance's, or a crashed one's); while
 * another relay holds the lock it looks again after `lockedMs`. After a failure (broker or
 * database down) it waits `retryMs` and tries again, so nothing written is lost.
 */
export function startOutboxRelay({
  outbox,
  publisher,
  logger,
  batchSize = 500,
  idleMs = 1_000,
  lockedMs = 25,
  retryMs = 1_000,
}: {
  outbox: OutboxRepository;
  publisher: Publisher;
  logger: Logger;
  batchSize?: number;
  idleMs?: number;
  lockedMs?: number;
  retryMs?: number;
}): OutboxRelay {
  let running = true;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  /** Waits `ms`, or less if woken (a wake-up during a batch is kept, so no commit is missed). */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || !running) return resolve();
      const timer = setTimeout(() => {
        wakeUp = undefined;
        resolve();
      }, ms);
      wakeUp = () => {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      };
    });
  const loop = async () => {
    while (running) {
      woken = false;
      try {
        const sent = await outbox.publishBatch(batchSize, (rows) =>
          publisher.sendRaw(
            rows.map((row) =>
              // A row that is not an envelope would block the relay forever: it goes to the DLQ instead.
              row.correlation_id !== null
                ? {
                    topic: Topics.orderEvents,
                    key: row.aggregate_id,
                    value: row.payload,
                    headers: { [Headers.correlationId]: row.correlation_id, [Headers.messageType]: row.type },
                  }
                : {
                    topic: deadLetterTopic(Topics.orderEvents),
                    key: row.aggregate_id,
                    value: row.payload,
                    headers: { [Headers.error]: `outbox row ${row.id} is not an envelope`, [Headers.sourceTopic]: 'outbox_events' },
                  },
            ),
          ),
        );
        if (sent === 'locked') await pause(lockedMs);
        else if (sent < batchSize) await pause(idleMs);
      } catch (error) {
        logger.warn('outbox relay failed, will retry', { error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  };
  const done = loop();
  return {
    wake() {
      woken = true;
      wakeUp?.();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await done;
    },
  };
}
