import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { Envelope, Headers, deadLetterTopic, isSystemReplyTopic } from '@orderline/contracts';
import { withLogContext, type Logger } from '@orderline/logging';
import { FETCH_MAX_WAIT_MS } from './kafka';
import { BrokerUnavailableError, PublishRefusedError, sizeOf, type Publisher, type RawMessage } from './publisher';
import { RequestTimeoutError, RequesterOverloadedError } from './request-reply';
import { deadLetteredMessages, trackConsumerLag } from './metrics';
import { ConsumerProgress } from './consumer-progress';
import { restartOnCrash } from './restart-on-crash';
import { PoisonMessageError, sendReply, type MessageRoute } from './routes';

/**
 * Handles many messages of one type at once, gathered across partitions. Must be idempotent: if it
 * keeps failing, each message is handled again on its own by the route of the same type (which
 * isolates a poison message and dead-letters it).
 */
export interface BatchRoute {
  type: string;
  /** why this message can never be handled (its payload is invalid), or undefined when it can */
  reject(envelope: Envelope): string | undefined;
  handleBatch(envelopes: Envelope[]): Promise<void>;
}

export interface ConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  routes: MessageRoute[];
  /** message types handled in batches across partitions (see BatchRoute) */
  batchRoutes?: BatchRoute[];
  /** publishes dead letters */
  publisher: Publisher;
  logger: Logger;
  /** errors that retrying cannot cure (e.g. data the database refuses): dead-lettered at once */
  isPermanent?: (error: unknown) => boolean;
  /**
   * errors that say a dependency is down (database unreachable, …), not that the message is bad:
   * retried without using up attempts, for at most `maxOutageMs` (the partition waits), then
   * dead-lettered. Broker failures and request/reply timeouts always count as transient.
   */
  isTransient?: (error: unknown) => boolean;
  /** tries per message before it is dead-lettered (failures that are neither permanent nor transient) */
  maxAttempts?: number;
  /** how long messages in hand wait for a dependency that keeps failing transiently before they are dead-lettered */
  maxOutageMs?: number;
  /**
   * called for every message about to be dead-lettered, after its route was tried (not for
   * messages that are no valid envelope): e.g. to record the failure where the client can read it.
   * Resolves true when it has answered the request itself (else a request is answered INTERNAL).
   * Its own failure is logged and does not keep the message from the dead-letter topic.
   */
  onDeadLetter?: (envelope: Envelope, reason: string) => Promise<boolean | void>;
  /** the topics a request may name as `replyTo`; a request naming any other is dead-lettered unanswered */
  isReplyTopic?: (topic: string) => boolean;
  /** first retry delay; doubles per attempt, capped at 5 s */
  retryDelayMs?: number;
  partitionsConsumedConcurrently?: number;
  /** with batchRoutes: most messages handled together, and how long the first one waits for company */
  maxBatchMessages?: number;
  lingerMs?: number;
}

export interface RunningConsumer {
  stop(): Promise<void>;
  /** partitions whose messages in hand have made no progress for `forMs` (for readiness) */
  stalledPartitions(forMs: number): string[];
}

interface Delivery {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

interface Parsed extends Delivery {
  envelope: Envelope;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The consumers running in this process, for readiness. */
const runningConsumers = new Map<string, ConsumerProgress>();

/** `<group> <topic>/<partition>` of every partition with messages in hand and no progress for `forMs`. */
export function stalledConsumers(forMs: number): string[] {
  return [...runningConsumers].flatMap(([groupId, progress]) => progress.stalled(forMs).map((partition) => `${groupId} ${partition}`));
}

/** How long messages in hand wait out a dependency outage before they are dead-lettered (CONSUMER_MAX_OUTAGE_MS). */
export const DEFAULT_MAX_OUTAGE_MS = 120_000;

/**
 * Consumes `topics` in consumer group `groupId`, dispatching each message by its envelope type.
 * Messages of one partition are handled in order (batched types first within a batch: they are
 * the first message of their order, so no order's messages are reordered). A message that is not
 * a valid envelope, has an unknown type or a bad payload goes straight to `<topic>.dlq`; one whose
 * handler keeps failing goes there after `maxAttempts`. Either way the offset moves on. Offsets
 * are committed only after their messages were handled or dead-lettered (at-least-once), so
 * handlers must be idempotent.
 */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const {
    kafka,
    groupId,
    topics,
    publisher,
    logger,
    maxAttempts = 5,
    maxOutageMs = DEFAULT_MAX_OUTAGE_MS,
    retryDelayMs = 200,
    partitionsConsumedConcurrently = 12,
    maxBatchMessages = 500,
    lingerMs = 5,
    isPermanent = () => false,
    isReplyTopic = isSystemReplyTopic,
  } = options;
  const isTransient = (error: unknown) =>
    error instanceof BrokerUnavailableError ||
    error instanceof RequestTimeoutError ||
    error instanceof RequesterOverloadedError ||
    (options.isTransient?.(error) ?? false);
  const isPermanentError = (error: unknown) =>
    error instanceof PoisonMessageError || error instanceof PublishRefusedError || isPermanent(error);
  const progress = new ConsumerProgress();
  let stopping = false;
  /**
   * Waits before a retry (at most until `deadline`); gives up (the message stays uncommitted, so it
   * comes again) when stopping.
   */
  const backoff = async (attempt: number, deadline = Infinity) => {
    await sleep(Math.max(Math.min(retryDelayMs * 2 ** Math.min(attempt - 1, 10), 5_000, deadline - Date.now()), 0));
    if (stopping) throw new Error('consumer stopping');
  };
  const routes = new Map(options.routes.map((route) => [route.type, route]));
  const batchRoutes = new Map((options.batchRoutes ?? []).map((route) => [route.type, route]));
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    sessionTimeout: 10_000,
    rebalanceTimeout: 15_000,
    heartbeatInterval: 1_000,
  });

  const deadLetter = async ({ topic, partition, message }: Delivery, reason: string, envelope?: Envelope) => {
    logger.warn('message dead-lettered', { topic, partition, offset: message.offset, reason });
    deadLetteredMessages.inc({ topic });
    if (envelope) {
      const answered = await options.onDeadLetter?.(envelope, reason).catch((error: unknown) => {
        logger.error('could not record a dead-lettered message', { type: envelope.type, error: String(error) });
      });
      // a request that ends here is answered, so its caller is not left waiting for a timeout
      if (!answered && envelope.replyTo && isReplyTopic(envelope.replyTo)) {
        await sendReply(publisher, envelope, { ok: false, error: { code: 'INTERNAL', message: 'the request could not be processed' } });
      }
    }
    const letter: RawMessage = {
      topic: deadLetterTopic(topic),
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        [Headers.error]: reason.slice(0, 2_000),
        [Headers.sourceTopic]: topic,
        [Headers.sourcePartition]: String(partition),
        [Headers.sourceOffset]: message.offset,
      },
    };
    // a message near the broker's limit no longer fits with the dead-letter headers: keep its start
    const over = sizeOf(letter) - publisher.maxMessageBytes;
    if (over > 0 && letter.value) {
      const value = Buffer.from(letter.value);
      letter.headers = { ...letter.headers, [Headers.truncatedFrom]: String(value.length) };
      letter.value = value.subarray(0, Math.max(value.length - over - 1_024, 0));
    }
    await publisher.sendRaw([letter]);
  };

  /** Parses the envelope; dead-letters what cannot be dispatched. */
  const parse = async (delivery: Delivery): Promise<Parsed | undefined> => {
    let envelope: Envelope;
    try {
      envelope = Envelope.parse(JSON.parse(delivery.message.value?.toString('utf8') ?? ''));
    } catch (error) {
      await deadLetter(delivery, `not a valid envelope: ${(error as Error).message}`);
      return undefined;
    }
    if (!routes.has(envelope.type) && !batchRoutes.has(envelope.type)) {
      await deadLetter(delivery, `unknown message type ${envelope.type}`);
      return undefined;
    }
    if (envelope.replyTo !== undefined && !isReplyTopic(envelope.replyTo)) {
      // answering would publish wherever the sender says: never
      await deadLetter(delivery, `replyTo ${JSON.stringify(envelope.replyTo)} is not one of the system's reply topics`);
      return undefined;
    }
    return { ...delivery, envelope };
  };

  /**
   * One message through its route: failures retried `maxAttempts` times with backoff; a dependency
   * outage waited out until `outageDeadline`; then, or at once for a permanent error, the message
   * is dead-lettered.
   */
  const handleOne = (item: Parsed, outageDeadline = Date.now() + maxOutageMs) =>
    withLogContext({ correlationId: item.envelope.correlationId }, async () => {
      const route = routes.get(item.envelope.type);
      if (!route) return deadLetter(item, `no single-message route for ${item.envelope.type}`, item.envelope);
      for (let attempt = 1, outage = 0; ; ) {
        const isLastAttempt = attempt >= maxAttempts;
        try {
          const { topic, partition, message } = item;
          await route.handle(item.envelope, { topic, partition, offset: message.offset, attempt, isLastAttempt });
          return;
        } catch (error) {
          const reason = `${(error as Error).name}: ${(error as Error).message}`;
          if (isPermanentError(error)) return deadLetter(item, reason, item.envelope);
          if (isTransient(error)) {
            if (Date.now() >= outageDeadline) {
              return deadLetter(item, `a dependency was unavailable for ${maxOutageMs} ms: ${reason}`, item.envelope);
            }
            logger.warn('a dependency is unavailable, will retry', { type: item.envelope.type, reason });
            await backoff(++outage, outageDeadline);
            continue;
          }
          if (isLastAttempt) return deadLetter(item, `failed ${attempt} times: ${reason}`, item.envelope);
          logger.warn('message handling failed, will retry', { type: item.envelope.type, attempt, reason });
          await backoff(attempt++);
        }
      }
    });

  /**
   * Many messages of one type at once. A dependency outage is waited out until `maxOutageMs`, then
   * every message in hand is dead-lettered (an outage says nothing about which message is bad, so
   * there is nothing to split). A batch that keeps failing otherwise is split in halves and each
   * half handled the same way, so a poison message is found in log2(n) rounds and dead-lettered
   * alone while the rest go through.
   */
  const handleMany = async (route: BatchRoute, items: Parsed[], outageDeadline = Date.now() + maxOutageMs): Promise<void> => {
    if (items.length === 1) return handleOne(items[0], outageDeadline);
    for (let attempt = 1, outage = 0; attempt <= 2; ) {
      try {
        await route.handleBatch(items.map((item) => item.envelope));
        return;
      } catch (error) {
        logger.warn('batch handling failed', { type: route.type, size: items.length, attempt, error: String(error) });
        if (isPermanentError(error)) break;
        if (isTransient(error)) {
          if (Date.now() >= outageDeadline) {
            const reason = `a dependency was unavailable for ${maxOutageMs} ms: ${(error as Error).name}: ${(error as Error).message}`;
            for (const item of items) await deadLetter(item, reason, item.envelope);
            return;
          }
          await backoff(++outage, outageDeadline);
        } else await backoff(attempt++);
      }
    }
    const half = Math.ceil(items.length / 2);
    await handleMany(route, items.slice(0, half), outageDeadline);
    await handleMany(route, items.slice(half), outageDeadline);
  };

  /** Handles deliveries from any partitions: batched types together, the rest in partition order. */
  const handleDeliveries = async (deliveries: Delivery[]) => {
    const parsed = (await Promise.all(deliveries.map(parse))).filter((item): item is Parsed => item !== undefined);
    for (const [type, route] of batchRoutes) {
      const items: Parsed[] = [];
      for (const item of parsed.filter((p) => p.envelope.type === type)) {
        const invalid = route.reject(item.envelope);
        if (invalid) await deadLetter(item, invalid);
        else items.push(item);
      }
      if (items.length > 0) await handleMany(route, items);
    }
    const byPartition = new Map<string, Parsed[]>();
    for (const item of parsed.filter((p) => !batchRoutes.has(p.envelope.type))) {
      const key = `${item.topic}/${item.partition}`;
      byPartition.set(key, [...(byPartition.get(key) ?? []), item]);
    }
    await Promise.all(
      [...byPartition.values()].map(async (items) => {
        for (const item of items) await handleOne(item);
      }),
    );
  };

  const gather = batchRoutes.size > 0 ? new Gatherer(handleDeliveries, maxBatchMessages, lingerMs) : undefined;

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const chunkSize = gather ? maxBatchMessages : 50;
    const partitionKey = `${batch.topic}/${batch.partition}`;
    progress.started(partitionKey);
    try {
      for (let start = 0; start < batch.messages.length; start += chunkSize) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages
          .slice(start, start + chunkSize)
          .map((message) => ({ topic: batch.topic, partition: batch.partition, message }));
        await (gather ? gather.add(chunk) : handleDeliveries(chunk));
        resolveOffset(chunk[chunk.length - 1].message.offset);
        progress.advanced(partitionKey);
        await heartbeat();
      }
    } finally {
      progress.finished(partitionKey);
    }
  };

  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const joined = new Promise<void>((resolve) => {
    const removeListener = consumer.on(consumer.events.GROUP_JOIN, () => {
      removeListener();
      resolve();
    });
  });
  const runConfig = { partitionsConsumedConcurrently, eachBatchAutoResolve: false, eachBatch };
  const crashRestart = restartOnCrash(consumer, runConfig, logger);
  await consumer.run(runConfig);
  // Ready means "in the group with partitions assigned": only then is the service really consuming.
  await joined;
  logger.info('consumer joined its group', { groupId, topics });
  const stopLagTracking = trackConsumerLag(kafka, groupId, topics);
  runningConsumers.set(groupId, progress);
  return {
    stalledPartitions: (forMs) => progress.stalled(forMs),
    stop: async () => {
      stopping = true;
      runningConsumers.delete(groupId);
      crashRestart.stop();
      await stopLagTracking();
      await consumer.disconnect();
    },
  };
}

/**
 * Collects deliveries handed in by concurrent partition handlers and processes them together:
 * a flush starts when `max` are waiting or `lingerMs` after the first arrived, one flush at a
 * time; each caller's promise settles when the flush holding its deliveries is done.
 */
class Gatherer {
  private waiting: { deliveries: Delivery[]; resolve(): void; reject(error: unknown): void }[] = [];
  private count = 0;
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly process: (deliveries: Delivery[]) => Promise<void>,
    private readonly max: number,
    private readonly lingerMs: number,
  ) {}

  add(deliveries: Delivery[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ deliveries, resolve, reject });
      this.count += deliveries.length;
      if (this.count >= this.max) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.lingerMs);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    // take whole hand-ins up to `max` deliveries; the rest wait for the next flush
    const taken: typeof this.waiting = [];
    let size = 0;
    while (this.waiting.length > 0 && (size === 0 || size + this.waiting[0].deliveries.length <= this.max)) {
      const next = this.waiting.shift() as (typeof this.waiting)[number];
      taken.push(next);
      size += next.deliveries.length;
    }
    this.count -= size;
    try {
      await this.process(taken.flatMap((w) => w.deliveries));
      for (const w of taken) w.resolve();
    } catch (error) {
      for (const w of taken) w.reject(error);
    } finally {
      this.running = false;
      if (this.waiting.length > 0) void this.flush();
    }
  }
}
