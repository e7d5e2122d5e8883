import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from '@orderline/logging';
import { ConsumerProgress } from './consumer-progress';
import type { Delivery } from './dead-letter';
import { MessageDispatcher } from './dispatcher';
import { Gatherer } from './gatherer';
import { FETCH_MAX_WAIT_MS } from './kafka';
import { trackConsumerLag } from './metrics';
import type { Publisher } from './publisher';
import { restartOnCrash } from './restart-on-crash';
import type { RetryPolicyOptions } from './retry-policy';
import type { MessageRoute } from './routes';

/** What a consumer is for: its group, what it reads and how it handles each message type (an app's routing table). */
export interface ConsumerDefinition {
  groupId: string;
  topics: string[];
  routes: MessageRoute[];
  /** partitions handled at once (their messages of batched types gathered together) */
  partitionsConsumedConcurrently?: number;
  /** with batched routes: most messages handled together, and how long the first one waits for company */
  maxBatchMessages?: number;
  lingerMs?: number;
  /**
   * messages of one partition handled side by side, up to this many (default 1: in log order). Only
   * for routes whose order does not matter, such as reads: after a pause, a partition's queued
   * reads are answered together instead of one after another.
   */
  handleConcurrently?: number;
  /** where a group without committed offsets starts: the oldest message the topic holds (default), or its end (as of the group's first fetch, a moment after it joined) */
  fromBeginning?: boolean;
}

export interface ConsumerOptions extends ConsumerDefinition, RetryPolicyOptions {
  kafka: Kafka;
  /** publishes dead letters */
  publisher: Publisher;
  logger: Logger;
  /** the topics a request may name as `replyTo`; a request naming any other is dead-lettered unanswered */
  isReplyTopic?: (topic: string) => boolean;
  /** without a heartbeat for this long the group drops this member (default 10 s; the broker's minimum is 6 s) */
  sessionTimeoutMs?: number;
}

export interface RunningConsumer {
  readonly groupId: string;
  stop(): Promise<void>;
  /** partitions whose messages in hand have made no progress for `forMs` (for readiness) */
  stalledPartitions(forMs: number): string[];
}

/** A chunk still being handled after this long stops heartbeating: the group then gives its partitions to another member. */
export const MAX_HEARTBEAT_WHILE_HANDLING_MS = 60_000;

/**
 * Waits for `handling`, heartbeating every second meanwhile (for at most
 * MAX_HEARTBEAT_WHILE_HANDLING_MS). kafkajs heartbeats only when asked to, between chunks; a chunk
 * that takes longer than the session timeout (a slow database under overload: 900 orders in 12 s
 * were seen) would otherwise get this member removed from the group, its commits refused and the
 * chunk handled again by whoever takes the partition, which makes the overload worse. A failed
 * heartbeat here is left to the next one after the chunk, which kafkajs acts on (rejoins).
 */
export async function whileHeartbeating<T>(heartbeat: () => Promise<void>, handling: Promise<T>): Promise<T> {
  const startedAt = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - startedAt > MAX_HEARTBEAT_WHILE_HANDLING_MS) return clearInterval(timer);
    heartbeat().catch(() => undefined);
  }, 1_000);
  try {
    return await handling;
  } finally {
    clearInterval(timer);
  }
}

/**
 * Consumes `topics` in consumer group `groupId` and hands the messages to a MessageDispatcher
 * (routing, retries, dead letters). This part is the lifecycle: joining the group, handing in
 * each partition's messages in chunks (gathered across partitions when some types are batched),
 * committing after they were handled or dead-lettered (at-least-once, so handlers must be
 * idempotent), tracking progress for readiness and lag for metrics, restarting after a crash and
 * stopping.
 */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const {
    kafka,
    groupId,
    topics,
    logger,
    partitionsConsumedConcurrently = 12,
    maxBatchMessages = 500,
    lingerMs = 5,
    fromBeginning = true,
    sessionTimeoutMs = 10_000,
  } = options;
  const progress = new ConsumerProgress();
  let stopping = false;
  const dispatcher = new MessageDispatcher({ ...options, isStopping: () => stopping });
  const gather = dispatcher.batches
    ? new Gatherer<Delivery>((deliveries) => dispatcher.dispatch(deliveries), maxBatchMessages, lingerMs)
    : undefined;
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    sessionTimeout: sessionTimeoutMs,
    rebalanceTimeout: 15_000,
    heartbeatInterval: 1_000,
  });

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const chunkSize = gather ? maxBatchMessages : 50;
    const partitionKey = `${batch.topic}/${batch.partition}`;
    progress.started(partitionKey);
    try {
      for (let start = 0; start < batch.messages.length; start += chunkSize) {
        if (!isRunning() || isStale()) return;
        const chunk = batch.messages
          .slice(start, start + chunkSize)
          .map((message): Delivery => ({ topic: batch.topic, partition: batch.partition, message }));
        await whileHeartbeating(heartbeat, gather ? gather.add(chunk) : dispatcher.dispatch(chunk));
        resolveOffset(chunk[chunk.length - 1].message.offset);
        progress.advanced(partitionKey);
        await heartbeat();
      }
    } finally {
      progress.finished(partitionKey);
    }
  };

  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning });
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
  return {
    groupId,
    stalledPartitions: (forMs) => progress.stalled(forMs),
    stop: async () => {
      stopping = true;
      crashRestart.stop();
      await stopLagTracking();
      await consumer.disconnect();
    },
  };
}
