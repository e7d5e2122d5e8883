import { Envelope, isSystemReplyTopic } from '@orderline/contracts';
import { withLogContext, type Logger } from '@orderline/logging';
import {
  isTracing,
  kafkaSpanAttributes,
  startSpan,
  traceHeadersFrom,
  SpanAttributes,
  type TraceHeaders,
  type Traced,
} from '@orderline/tracing';
import { DeadLetters, type DeadLetterSender, type Delivery } from './dead-letter';
import { RetryPolicy, type RetryPolicyOptions } from './retry-policy';
import type { BatchHandler, MessageRoute } from './routes';

interface Parsed extends Delivery {
  envelope: Envelope;
  /** the message's consume span, when it was made before its handling (messages handled in batches) */
  span?: Traced;
}

/** Each batched message's trace context (its consume span's), for what its handler writes per message (an outbox row). */
const traces = new WeakMap<Envelope, TraceHeaders>();

/**
 * The trace context a message is handled in, for work done on its behalf outside its own span: a
 * batch handler writing one outbox row per message. Undefined outside a trace (and for messages
 * not handled in a batch, whose handler runs in their context: see `activeTraceHeaders`).
 */
export function traceOfMessage(envelope: Envelope): TraceHeaders | undefined {
  return traces.get(envelope);
}

/** The CONSUMER span of one delivered message, a child of the span that produced it. */
function consumeSpan(item: Parsed, groupId: string | undefined): Traced {
  const parent = traceHeadersFrom(item.message.headers);
  if (!isTracing()) return startSpan('', { parent });
  return startSpan(`process ${item.topic}`, {
    kind: 'consumer',
    parent,
    attributes: kafkaSpanAttributes('process', item.topic, {
      [SpanAttributes.messagingPartition]: String(item.partition),
      [SpanAttributes.kafkaOffset]: Number(item.message.offset),
      [SpanAttributes.messagingMessageId]: item.envelope.messageId,
      [SpanAttributes.messagingConversationId]: item.envelope.correlationId,
      'orderline.message.type': item.envelope.type,
      ...(groupId ? { [SpanAttributes.messagingConsumerGroup]: groupId } : {}),
    }),
  });
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
  /** the consumer group (named on the consume spans) */
  groupId?: string;
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
      if (items.length === 0) continue;
      // each message's consume span lasts from here until its batch (or, split off, itself) is handled
      for (const item of items) {
        item.span = consumeSpan(item, this.options.groupId);
        const headers = item.span.headers;
        if (headers) traces.set(item.envelope, headers);
      }
      try {
        await this.handleMany(route, route.batch, items, this.retry.outageDeadline());
      } finally {
        for (const item of items) item.span?.end();
      }
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
  private async handleOne(item: Parsed, outageDeadline: number): Promise<void> {
    const span = item.span ?? consumeSpan(item, this.options.groupId);
    let deadLettered: string | undefined;
    const deadLetter = (reason: string) => {
      deadLettered = reason;
      return this.deadLetters.send(item, reason, item.envelope);
    };
    try {
      await span.run(() => this.tryOne(item, outageDeadline, deadLetter));
    } catch (error) {
      span.end(error);
      throw error;
    }
    span.end(deadLettered === undefined ? undefined : `dead-lettered: ${deadLettered}`);
  }

  private tryOne(item: Parsed, outageDeadline: number, deadLetter: (reason: string) => Promise<void>): Promise<void> {
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
          if (kind === 'permanent') return deadLetter(reason);
          if (kind === 'transient') {
            if (Date.now() >= outageDeadline) {
              return deadLetter(`a dependency was unavailable for ${maxOutageMs} ms: ${reason}`);
            }
            logger.warn('a dependency is unavailable, will retry', { type: item.envelope.type, reason });
            await this.retry.backoff(++outage, outageDeadline);
            continue;
          }
          if (isLastAttempt) return deadLetter(`failed ${attempt} times: ${reason}`);
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
    // the batch's span: in the trace of its first message, linked to every message's (see docs/architecture.md, Traces)
    const span = startSpan(`process ${route.type} batch`, {
      kind: 'consumer',
      parent: items[0].span?.headers,
      links: isTracing() ? items.flatMap((item) => (item.span?.headers ? [item.span.headers] : [])) : undefined,
      attributes: isTracing()
        ? kafkaSpanAttributes('process', items[0].topic, { [SpanAttributes.messagingBatchCount]: items.length })
        : undefined,
    });
    let outcome: 'handled' | 'split';
    try {
      outcome = await span.run(() => this.tryMany(route, batch, items, outageDeadline));
    } catch (error) {
      span.end(error);
      throw error;
    }
    span.end(outcome === 'split' ? 'the batch kept failing: handled in halves' : undefined);
    if (outcome === 'handled') return;
    const half = Math.ceil(items.length / 2);
    await this.handleMany(route, batch, items.slice(0, half), outageDeadline);
    await this.handleMany(route, batch, items.slice(half), outageDeadline);
  }

  /** The batch's attempts: 'handled' (or dead-lettered whole after an outage), or 'split' when it must be taken apart. */
  private async tryMany(route: MessageRoute, batch: BatchHandler, items: Parsed[], outageDeadline: number): Promise<'handled' | 'split'> {
    for (let attempt = 1, outage = 0; attempt <= 2; ) {
      try {
        await batch.handleMany(items.map((item) => item.envelope));
        return 'handled';
      } catch (error) {
        this.options.logger.warn('batch handling failed', { type: route.type, size: items.length, attempt, error: String(error) });
        const kind = this.retry.kindOf(error);
        if (kind === 'permanent') break;
        if (kind === 'transient') {
          if (Date.now() >= outageDeadline) {
            const reason = `a dependency was unavailable for ${this.retry.maxOutageMs} ms: ${(error as Error).name}: ${(error as Error).message}`;
            for (const item of items) {
              item.span?.end(`dead-lettered: ${reason}`);
              await this.deadLetters.send(item, reason, item.envelope);
            }
            return 'handled';
          }
          await this.retry.backoff(++outage, outageDeadline);
        } else await this.retry.backoff(attempt++);
      }
    }
    return 'split';
  }
}
