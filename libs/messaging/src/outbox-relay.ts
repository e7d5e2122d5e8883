import { randomUUID } from 'node:crypto';
import { Headers, deadLetterTopic, type OutboxRow } from '@orderline/contracts';
import type { Logger } from '@orderline/logging';
import {
  isTracing,
  kafkaSpanAttributes,
  startSpan,
  traceHeadersFrom,
  SpanAttributes,
  type TraceHeaders,
  type Traced,
} from '@orderline/tracing';
import {
  BrokerUnavailableError,
  PublishRefusedError,
  PublisherOverloadedError,
  sizeOf,
  traceHeaderFields,
  type Publisher,
  type RawMessage,
} from './publisher';

/**
 * An outbox table and its relay lease, as the relay uses them: libs/db's OutboxRepository (this lib
 * holds no database client, so the relay takes the table through this interface).
 */
export interface OutboxStore {
  /** what dead letters name as their source (dlq-source-topic): the table */
  readonly source: string;
  tryLease(holder: string, ms: number): Promise<boolean>;
  releaseLease(holder: string): Promise<void>;
  oldestUnpublished(limit: number): Promise<OutboxRow[]>;
  markPublished(ids: string[], holder: string): Promise<void>;
}

export interface OutboxRelay {
  /** Events were committed to the outbox: publish them now instead of at the next poll. */
  wake(): void;
  stop(): Promise<void>;
}

export interface OutboxRelayOptions {
  outbox: OutboxStore;
  /**
   * where a row goes when it names no topic (order-management: orders.events, as every row written
   * before rows named theirs was an order event), and whose DLQ takes the dead letters for topics
   * that are not the system's
   */
  defaultTopic: string;
  publisher: Pick<Publisher, 'sendRaw' | 'refusalOf' | 'maxMessageBytes'>;
  logger: Logger;
  /** names this relay in the lease (the instance id); default random */
  holder?: string;
  batchSize?: number;
  /** poll for rows nobody woke this relay for (another instance's, or a crashed one's) */
  idleMs?: number;
  /** look again after this while another relay holds the lease */
  lockedMs?: number;
  /** first wait after a failure (broker or database down); doubles per failure in a row up to maxRetryMs */
  retryMs?: number;
  maxRetryMs?: number;
  /**
   * publishes in a row the broker did not take before the rows go one by one and a row it still
   * does not take is dead-lettered (if the broker takes the dead letter)
   */
  maxAttempts?: number;
  /** how long the lease lasts unrenewed: a relay that died holding it is replaced after this; renewed every third of it while a publish takes long */
  leaseMs?: number;
}

/**
 * Publishes the rows written to an outbox table, each to the topic it names (`headers.topic`, else
 * `defaultTopic`; key: the aggregate id), in id order, at least once: a row is marked published
 * only after the broker acknowledged it, and a row published again keeps its messageId (the
 * envelope is stored whole), so consumers drop the copy.
 *
 * One relay at a time, across instances, holds the table's lease (outbox_relay_leases): events of one
 * aggregate leave in the order they committed. Each step is a short statement of its own (take the
 * lease, read the oldest rows, publish, mark them and let go of the lease): no transaction is
 * open while Kafka answers.
 *
 * A row that can never be published as it is (over the size limit, a topic that is not one of the
 * system's, not an envelope) goes to `<its topic>.dlq` with the reason and is marked published, so
 * it never holds up the rows behind it; when the broker refuses a batch, the rows go one by one to
 * find the guilty ones. A failure that may pass (broker or database unavailable) is retried after
 * a wait that doubles up to `maxRetryMs`: the relay waits for the broker as long as it takes, and
 * nothing written is lost. After `maxAttempts` publishes in a row that the broker did not take, the
 * rows go one by one and the one it still does not take goes to its DLQ, if the broker takes that:
 * a topic that stays unavailable while the rest of the broker works holds up the rows behind it for
 * minutes, not for good; while the broker takes nothing, nothing is dead-lettered.
 */
export function startOutboxRelay({
  outbox,
  defaultTopic,
  publisher,
  logger,
  holder = `relay-${randomUUID()}`,
  batchSize = 500,
  idleMs = 1_000,
  lockedMs = 25,
  retryMs = 500,
  maxRetryMs = 30_000,
  maxAttempts = 10,
  leaseMs = 10_000,
}: OutboxRelayOptions): OutboxRelay {
  let running = true;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  /** Waits `ms`, or less if woken (a wake-up during a batch is kept, so no commit is missed) or stopped. */
  const pause = (ms: number, { wakeable = true } = {}) =>
    new Promise<void>((resolve) => {
      if ((wakeable && woken) || !running) return resolve();
      const timer = setTimeout(() => {
        wakeUp = undefined;
        resolve();
      }, ms);
      wakeUp = () => {
        if (wakeable || !running) {
          clearTimeout(timer);
          wakeUp = undefined;
          resolve();
        }
      };
    });

  const relayer = new RowRelayer(publisher, outbox.source, defaultTopic, logger);

  /** One batch under the lease: how many rows went out, or 'locked' while another relay has the lease. */
  const relayBatch = async (exhausted: Exhausted | undefined): Promise<number | 'locked'> => {
    if (!(await outbox.tryLease(holder, leaseMs))) return 'locked';
    let released = false;
    try {
      const rows = await outbox.oldestUnpublished(batchSize);
      if (rows.length === 0) return 0;
      const { published, failure } = await keepingLease(() => relayer.relay(rows, exhausted));
      if (published.length > 0) {
        await outbox.markPublished(published, holder);
        released = true;
      }
      if (failure) throw failure;
      return rows.length;
    } finally {
      if (!released) await outbox.releaseLease(holder).catch(() => undefined);
    }
  };

  /** Runs `work` while renewing the lease every third of its length, so a slow publish keeps it. */
  const keepingLease = async <T>(work: () => Promise<T>): Promise<T> => {
    let renewing: Promise<void> | undefined;
    const renew = setInterval(
      () => {
        renewing ??= outbox
          .tryLease(holder, leaseMs)
          .then(
            (held) => {
              if (!held) logger.warn('outbox relay lost its lease during a publish: another relay may publish meanwhile', { holder });
            },
            (error: unknown) => {
              logger.warn('outbox relay could not renew its lease', { error: String(error) });
            },
          )
          .finally(() => (renewing = undefined));
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    try {
      return await work();
    } finally {
      clearInterval(renew);
      // a renewal landing after the release would hold the lease for nothing
      await renewing;
    }
  };

  const loop = async () => {
    /** failures in a row (they set the pause), and how many of them were publishes the broker did not take */
    let failures = 0;
    let unavailable = 0;
    while (running) {
      woken = false;
      try {
        const sent = await relayBatch(unavailable >= maxAttempts ? { attempts: unavailable } : undefined);
        failures = 0;
        unavailable = 0;
        // another relay is at it: look again shortly, however many commits wake this one meanwhile
        if (sent === 'locked') await pause(lockedMs, { wakeable: false });
        else if (sent < batchSize) await pause(idleMs);
      } catch (error) {
        failures++;
        if (brokerDidNotTake(error)) unavailable++;
        const waitMs = Math.min(maxRetryMs, retryMs * 2 ** Math.min(failures - 1, 30));
        logger.warn('outbox relay failed, will retry', { error: String(error), failures, retryInMs: waitMs });
        // a wake-up does not cut this short: the broker or database is not back because a commit happened
        await pause(waitMs, { wakeable: false });
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

/** The broker did not take a publish; not our own queue being full, which says nothing about the rows. */
function brokerDidNotTake(error: unknown): error is BrokerUnavailableError {
  return error instanceof BrokerUnavailableError && !(error instanceof PublisherOverloadedError);
}

/** The trace context a row was written in (a malformed one is dropped). */
function traceOf(row: OutboxRow): TraceHeaders | undefined {
  return row.traceparent ? traceHeadersFrom({ traceparent: row.traceparent, tracestate: row.tracestate ?? undefined }) : undefined;
}

/** A row that cannot go as it is: why, in the words of dlq-error. */
type Refusal = { reason: string; message: string };
/** The broker did not take the batch this many times in a row. */
type Exhausted = { attempts: number };

/** Turns outbox rows into messages, dead-letters the ones that can never be published, and says which rows are done. */
class RowRelayer {
  constructor(
    private readonly publisher: Pick<Publisher, 'sendRaw' | 'refusalOf' | 'maxMessageBytes'>,
    /** the outbox table, named in dead letters as their source */
    private readonly source: string,
    private readonly defaultTopic: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Publishes `rows` in order. `published`: the ids of the rows that are done (sent, or
   * dead-lettered); `failure`: why the rest were not (all of them but a prefix done one by one).
   * `exhausted`: one by one at once, and a row the broker does not take is dead-lettered.
   */
  async relay(rows: OutboxRow[], exhausted?: Exhausted): Promise<{ published: string[]; failure?: unknown }> {
    // tracing on: a PRODUCER span per row, continuing the trace the row was written in
    const spans = isTracing() ? rows.map((row) => this.spanOf(row)) : undefined;
    // what the publisher refuses before the broker is dead-lettered in the same produce call
    const planned = rows.map((row, i) => {
      const refusal = this.refusalOf(row);
      return {
        row,
        refusal,
        message: refusal ? this.deadLetter(row, refusal) : this.messageOf(row, spans ? spans[i].headers : traceOf(row)),
      };
    });
    const result = await this.publish(planned, exhausted);
    if (spans) {
      const published = new Set(result.published);
      spans.forEach((span, i) => {
        const { row, refusal } = planned[i];
        if (refusal) span.end(`dead-lettered: ${refusal.reason}`);
        else span.end(published.has(row.id) ? undefined : (result.failure ?? 'not published'));
      });
    }
    return result;
  }

  private spanOf(row: OutboxRow): Traced {
    const topic = this.topicOf(row);
    return startSpan(`send ${topic}`, {
      kind: 'producer',
      parent: traceOf(row),
      attributes: kafkaSpanAttributes('send', topic.slice(0, 300), {
        [SpanAttributes.kafkaMessageKey]: row.aggregate_id,
        'orderline.message.type': row.type,
        'orderline.outbox.table': this.source,
        'orderline.outbox.id': row.id,
      }),
    });
  }

  private async publish(
    planned: { row: OutboxRow; refusal: Refusal | undefined; message: RawMessage }[],
    exhausted: Exhausted | undefined,
  ): Promise<{ published: string[]; failure?: unknown }> {
    const rows = planned.map((p) => p.row);
    if (!exhausted) {
      try {
        await this.publisher.sendRaw(planned.map((p) => p.message));
        for (const { row, refusal } of planned) if (refusal) this.logDeadLetter(row, refusal);
        return { published: rows.map((row) => row.id) };
      } catch (error) {
        if (!(error instanceof PublishRefusedError)) return { published: [], failure: error };
        this.logger.warn('the broker refused a batch of outbox rows: sending them one by one to find the guilty ones', {
          rows: rows.length,
          error: error.message,
        });
      }
    }
    // one by one, in order, so only the guilty rows go to the DLQ
    const published: string[] = [];
    for (const { row, refusal, message } of planned) {
      try {
        if (refusal) await this.sendDeadLetter(row, refusal);
        else {
          try {
            await this.publisher.sendRaw([message]);
          } catch (error) {
            if (error instanceof PublishRefusedError) await this.sendDeadLetter(row, { reason: error.reason, message: error.message });
            else if (exhausted && brokerDidNotTake(error)) {
              // throws in turn while the broker takes nothing: then the row waits with the others
              await this.sendDeadLetter(row, {
                reason: 'BROKER_UNAVAILABLE',
                message: `not published after ${exhausted.attempts + 1} attempts: ${(error as Error).message}`,
              });
            } else throw error;
          }
        }
        published.push(row.id);
      } catch (error) {
        return { published, failure: error };
      }
    }
    return { published };
  }

  private topicOf(row: OutboxRow): string {
    return row.topic || this.defaultTopic;
  }

  /** The row as its message, carrying `trace` on (the relay's span, or with tracing off the row's own context). */
  private messageOf(row: OutboxRow, trace: TraceHeaders | undefined): RawMessage {
    return {
      topic: this.topicOf(row),
      key: row.aggregate_id,
      value: row.payload,
      headers: {
        [Headers.correlationId]: row.correlation_id ?? '',
        [Headers.messageType]: row.type,
        [Headers.messageVersion]: row.version ?? '1',
        ...traceHeaderFields(trace),
      },
    };
  }

  private refusalOf(row: OutboxRow): Refusal | undefined {
    if (row.correlation_id === null) return { reason: 'NOT_AN_ENVELOPE', message: `outbox row ${row.id} is not an envelope` };
    const refusal = this.publisher.refusalOf(this.messageOf(row, traceOf(row)));
    return refusal && { reason: refusal.reason, message: refusal.message };
  }

  /**
   * The dead letter for a row: in `<its topic>.dlq`, or `<defaultTopic>.dlq` when its topic is not
   * one of the system's. A payload too large for the DLQ too is cut to fit (or to `cutTo` bytes),
   * as the consumers cut theirs, with dlq-truncated-from: the whole row stays in the outbox table
   * (dlq-outbox-id).
   */
  private deadLetter(row: OutboxRow, refusal: Refusal, { cutTo }: { cutTo?: number } = {}): RawMessage {
    const topic = this.topicOf(row);
    let dlq = deadLetterTopic(topic);
    if (this.publisher.refusalOf({ topic: dlq, key: null, value: null })?.reason === 'UNKNOWN_TOPIC')
      dlq = deadLetterTopic(this.defaultTopic);
    const letter: RawMessage = {
      topic: dlq,
      key: row.aggregate_id,
      value: row.payload,
      headers: {
        ...(row.correlation_id !== null ? { [Headers.correlationId]: row.correlation_id } : {}),
        [Headers.messageType]: row.type,
        [Headers.error]: `${refusal.reason}: ${refusal.message}`.slice(0, 2_000),
        [Headers.sourceTopic]: this.source,
        [Headers.outboxId]: row.id,
        [Headers.outboxTopic]: topic.slice(0, 300),
        ...traceHeaderFields(traceOf(row)),
      },
    };
    const payload = Buffer.from(row.payload);
    const keep =
      cutTo ?? (this.publisher.refusalOf(letter) ? payload.length - (sizeOf(letter) - this.publisher.maxMessageBytes) - 1_024 : undefined);
    if (keep === undefined || keep >= payload.length) return letter;
    return {
      ...letter,
      value: payload.subarray(0, Math.max(keep, 0)),
      headers: { ...letter.headers, [Headers.truncatedFrom]: String(payload.length) },
    };
  }

  private async sendDeadLetter(row: OutboxRow, refusal: Refusal): Promise<void> {
    try {
      await this.publisher.sendRaw([this.deadLetter(row, refusal)]);
    } catch (error) {
      // the broker refuses the payload in the DLQ too: the letter keeps only its start
      if (!(error instanceof PublishRefusedError)) throw error;
      await this.publisher.sendRaw([this.deadLetter(row, refusal, { cutTo: 1_024 })]);
    }
    this.logDeadLetter(row, refusal);
  }

  private logDeadLetter(row: OutboxRow, refusal: Refusal): void {
    this.logger.error('outbox row dead-lettered: it can never be published as it is', {
      outboxId: row.id,
      topic: this.topicOf(row).slice(0, 300),
      reason: refusal.reason,
      error: refusal.message,
    });
  }
}
