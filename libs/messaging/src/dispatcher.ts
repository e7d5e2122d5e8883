import { Envelope, isSystemReplyTopic } from '@orderline/contracts';
import { withLogContext, type Logger } from '@orderline/logging';
import { DeadLetters, type DeadLetterSender, type Delivery } from './dead-letter';
import { RetryPolicy, type RetryPolicyOptions } from './retry-policy';
import type { BatchHandler, MessageRoute } from './routes';

interface Parsed extends Delivery {
  envelope: Envelope;
}

export interface DispatcherOptions extends RetryPolicyOptions {
  routes: MessageRoute[];
  /** publishes dead letters (and the INTERNAL answer to a request that ends there) */
  publisher: DeadLetterSender;
  logger: Logger;
  /** the topics a request may name as `replyTo`; a request naming any other is dead-lettered unanswered */
  isReplyTopic?: (topic: string) => boolean;
  /** true once the consumer stops: a message waiting for a retry gives up */
  isStopping?: () => boolean;
  /** messages of one partition handled side by side, up to this many (default 1: in log order) */
  handleConcurrently?: number;
}

/**
 * Hands each delivered message to the route of its envelope type, with the retry policy around
 * it, and dead-letters what cannot be handled: no valid envelope, an unknown type, a `replyTo`
 * outside the system, an invalid payload or a version its contract does not read, a permanent
 * failure, too many failures, an outage that outlasts `maxOutageMs`. Knows nothing of Kafka: the consumer hands it deliveries (and so can a
 * test).
 */
export class MessageDispatcher {
  private readonly routes: Map<string, MessageRoute>;
  private readonly retry: RetryPolicy;
  private readonly deadLetters: DeadLetters;
  private readonly isReplyTopic: (topic: string) => boolean;

  constructor(private readonly options: DispatcherOptions) {
    this.routes = new Map(options.routes.map((route) => [route.type, route]));
    this.retry = new RetryPolicy(options, options.isStopping);
    this.isReplyTopic = options.isReplyTopic ?? isSystemReplyTopic;
    this.deadLetters = new DeadLetters({
      publisher: options.publisher,
      logger: options.logger,
      isReplyTopic: this.isReplyTopic,
      onDeadLetter: (envelope, reason) => this.routes.get(envelope.type)?.onDeadLetter?.(envelope, reason),
      replyVersionOf: (type) => this.routes.get(type)?.replyVersion,
    });
  }

  /** Whether some message types are handled in batches (then deliveries are best gathered across partitions). */
  get batches(): boolean {
    return [...this.routes.values()].some((route) => route.batch);
  }

  /**
   * Handles deliveries from any partitions: batched types together, first (they are the first
   * message of their order, so no order's messages are reordered), then the rest in partition
   * order (or `handleConcurrently` at a time), partitions side by side. Resolves when every one was handled or dead-lettered.
   */
  async dispatch(deliveries: Delivery[]): Promise<void> {
    const parsed = (await Promise.all(deliveries.map((delivery) => this.parse(delivery)))).filter(
      (item): item is Parsed => item !== undefined,
    );
    for (const route of this.routes.values()) {
      if (!route.batch) continue;
      const items: Parsed[] = [];
      for (const item of parsed.filter((p) => p.envelope.type === route.type)) {
        const invalid = route.batch.reject(item.envelope);
        if (invalid) await this.deadLetters.send(item, invalid);
        else items.push(item);
      }
      if (items.length > 0) await this.handleMany(route, route.batch, items, this.retry.outageDeadline());
    }
    const byPartition = new Map<string, Parsed[]>();
    for (const item of parsed.filter((p) => !this.routes.get(p.envelope.type)?.batch)) {
      const key = `${item.topic}/${item.partition}`;
      byPartition.set(key, [...(byPartition.get(key) ?? []), item]);
    }
    const lanes = Math.max(1, this.options.handleConcurrently ?? 1);
    await Promise.all(
      [...byPartition.values()].flatMap((items) => {
        // `lanes` workers take the partition's messages in turn (one lane: strictly in log order)
        let next = 0;
        return Array.from({ length: Math.min(lanes, items.length) }, async () => {
          while (next < items.length) await this.handleOne(items[next++], this.retry.outageDeadline());
        });
      }),
    );
  }

  /** The envelope, or undefined when the message was dead-lettered as one that cannot be dispatched. */
  private async parse(delivery: Delivery): Promise<Parsed | undefined> {
    let envelope: Envelope;
    try {
      envelope = Envelope.parse(JSON.parse(delivery.message.value?.toString('utf8') ?? ''));
    } catch (error) {
      await this.deadLetters.send(delivery, `not a valid envelope: ${(error as Error).message}`);
      return undefined;
    }
    if (!this.routes.has(envelope.type)) {
      await this.deadLetters.send(delivery, `unknown message type ${envelope.type}`);
      return undefined;
    }
    if (envelope.replyTo !== undefined && !this.isReplyTopic(envelope.replyTo)) {
      // answering would publish wherever the sender says: never
      await this.deadLetters.send(delivery, `replyTo ${JSON.stringify(envelope.replyTo)} is not one of the system's reply topics`);
      return undefined;
    }
    return { ...delivery, envelope };
  }

  /**
   * One message through its route: failures retried `maxAttempts` times with backoff; a dependency
   * outage waited out until `outageDeadline`; then, or at once for a permanent error, the message
   * is dead-lettered.
   */
  private handleOne(item: Parsed, outageDeadline: number): Promise<void> {
    const { logger } = this.options;
    const { maxAttempts, maxOutageMs } = this.retry;
    return withLogContext({ correlationId: item.envelope.correlationId }, async () => {
      const route = this.routes.get(item.envelope.type) as MessageRoute;
      for (let attempt = 1, outage = 0; ; ) {
        const isLastAttempt = attempt >= maxAttempts;
        try {
          const { topic, partition, message } = item;
          await route.handle(item.envelope, { topic, partition, offset: message.offset, attempt, isLastAttempt });
          return;
        } catch (error) {
          const reason = `${(error as Error).name}: ${(error as Error).message}`;
          const kind = this.retry.kindOf(error);
          if (kind === 'permanent') return this.deadLetters.send(item, reason, item.envelope);
          if (kind === 'transient') {
            if (Date.now() >= outageDeadline) {
              return this.deadLetters.send(item, `a dependency was unavailable for ${maxOutageMs} ms: ${reason}`, item.envelope);
            }
            logger.warn('a dependency is unavailable, will retry', { type: item.envelope.type, reason });
            await this.retry.backoff(++outage, outageDeadline);
            continue;
          }
          if (isLastAttempt) return this.deadLetters.send(item, `failed ${attempt} times: ${reason}`, item.envelope);
          logger.warn('message handling failed, will retry', { type: item.envelope.type, attempt, reason });
          await this.retry.backoff(attempt++);
        }
      }
    });
  }

  /**
   * Many messages of one type at once. A dependency outage is waited out until `outageDeadline`,
   * then every message in hand is dead-lettered (an outage says nothing about which message is
   * bad, so there is nothing to split). A batch that keeps failing otherwise is split in halves
   * and each half handled the same way, so a poison message is found in log2(n) rounds and handled
   * alone by the route's `handle` (and dead-lettered there) while the rest go through.
   */
  private async handleMany(route: MessageRoute, batch: BatchHandler, items: Parsed[], outageDeadline: number): Promise<void> {
    if (items.length === 1) return this.handleOne(items[0], outageDeadline);
    for (let attempt = 1, outage = 0; attempt <= 2; ) {
      try {
        await batch.handleMany(items.map((item) => item.envelope));
        return;
      } catch (error) {
        this.options.logger.warn('batch handling failed', { type: route.type, size: items.length, attempt, error: String(error) });
        const kind = this.retry.kindOf(error);
        if (kind === 'permanent') break;
        if (kind === 'transient') {
          if (Date.now() >= outageDeadline) {
            const reason = `a dependency was unavailable for ${this.retry.maxOutageMs} ms: ${(error as Error).name}: ${(error as Error).message}`;
            for (const item of items) await this.deadLetters.send(item, reason, item.envelope);
            return;
          }
          await this.retry.backoff(++outage, outageDeadline);
        } else await this.retry.backoff(attempt++);
      }
    }
    const half = Math.ceil(items.length / 2);
    await this.handleMany(route, batch, items.slice(0, half), outageDeadline);
    await this.handleMany(route, batch, items.slice(half), outageDeadline);
  }
}
