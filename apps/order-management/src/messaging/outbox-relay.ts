import { Headers, Topics, deadLetterTopic } from '@orderline/contracts';
import type { Logger } from '@orderline/logging';
import type { Publisher } from '@orderline/messaging';
import type { OutboxRepository } from '../db/outbox-repository';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Publishes the order events written to the outbox to `orders.events` (key: order id), in
 * order, at least once. Polls every `idleMs` while there is nothing to send; after a failure
 * (broker or database down) waits `retryMs` and tries again, so nothing written is lost.
 */
export function startOutboxRelay({
  outbox,
  publisher,
  logger,
  batchSize = 500,
  idleMs = 50,
  retryMs = 1_000,
}: {
  outbox: OutboxRepository;
  publisher: Publisher;
  logger: Logger;
  batchSize?: number;
  idleMs?: number;
  retryMs?: number;
}): { stop(): Promise<void> } {
  let running = true;
  const loop = async () => {
    while (running) {
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
        if (sent < batchSize) await sleep(idleMs);
      } catch (error) {
        logger.warn('outbox relay failed, will retry', { error: String(error) });
        await sleep(retryMs);
      }
    }
  };
  const done = loop();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}
