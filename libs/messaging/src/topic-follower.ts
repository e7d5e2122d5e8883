import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Logger } from '@orderline/logging';
import { FETCH_MAX_WAIT_MS } from './kafka';
import { restartOnCrash, type CrashRestart } from './restart-on-crash';

/** A message as a follower hands it on: raw (nothing parsed), with where it sits in the log and when it was produced. */
export interface FollowedMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer | null;
  /** the producer's timestamp (ms) */
  timestamp: number;
  headers: Record<string, string>;
}

/**
 * Where a follower starts reading a topic: the end; what was produced since `sinceMs` ago; or where
 * a consumer group stands (what it has not handled yet).
 */
export type StartAt = { at: 'end' } | { at: 'recent'; sinceMs: number } | { at: 'committed'; groupId: string };

export interface TopicFollowerOptions {
  kafka: Kafka;
  /** unique per process: a follower reads every partition itself */
  groupId: string;
  topics: { topic: string; startAt: StartAt }[];
  /** called in log order per partition; must not throw (a follower never retries) */
  onMessages(messages: FollowedMessage[]): void;
  logger: Logger;
}

/**
 * Reads whole topics in a consumer group of its own (every instance sees every message) and hands
 * the messages on raw, as they come: for in-memory views of the log (the gateway's accepted
 * orders). Knows how far it has read each partition, so a caller can wait until it has seen
 * everything produced before a given moment (`caughtUp`).
 */
/**
 * What one fetch of a follower brings at most (kafkajs' defaults are 1 MiB per partition, 10 MiB in
 * all): at ~600 bytes an order event, 256 KiB is ~400 events, a few tens of ms to take in.
 */
const FOLLOWER_FETCH_BYTES_PER_PARTITION = 256 * 1024;
const FOLLOWER_FETCH_BYTES = 1024 * 1024;

export class TopicFollower {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  /** next offset to read, per `topic/partition` */
  private readonly positions = new Map<string, number>();
  /** where reading began, per topic and partition */
  private readonly starts = new Map<string, Map<number, number>>();
  private crashRestart?: CrashRestart;

  constructor(private readonly options: TopicFollowerOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      // small fetches: a follower runs inside a process that also answers requests (the gateway),
      // and everything one fetch brings is handled before that process sees its next request
      maxBytesPerPartition: FOLLOWER_FETCH_BYTES_PER_PARTITION,
      maxBytes: FOLLOWER_FETCH_BYTES,
    });
    this.admin = options.kafka.admin();
  }

  /** Resolves once the start positions are set and the first fetch is done. */
  async start(): Promise<void> {
    const { topics, logger } = this.options;
    await this.admin.connect();
    // on a fresh cluster the topics may have just been created by another app, their partitions
    // still without a leader ("not the leader for that topic-partition"): try again, for 15 s at most
    for (let attempt = 1; ; attempt++) {
      try {
        await this.setStartOffsets();
        break;
      } catch (error) {
        if (attempt >= 30) throw error;
        logger.warn('could not read where to start following, will retry', { error: String(error), attempt });
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: topics.map((t) => t.topic), fromBeginning: false });
    const firstFetch = new Promise<void>((resolve) => {
      const removeListener = this.consumer.on(this.consumer.events.FETCH, () => {
        removeListener();
        resolve();
      });
    });
    const runConfig = {
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch }: { batch: { topic: string; partition: number; messages: import('kafkajs').KafkaMessage[] } }) => {
        const messages = batch.messages.map(
          (message): FollowedMessage => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: Number(message.offset),
            key: message.key?.toString('utf8') ?? null,
            value: message.value,
            timestamp: Number(message.timestamp),
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)])),
          }),
        );
        if (messages.length === 0) return;
        this.options.onMessages(messages);
        this.positions.set(`${batch.topic}/${batch.partition}`, messages[messages.length - 1].offset + 1);
        // let the process answer what waits (HTTP requests) between one batch and the next: while it
        // catches up, batch follows batch without any I/O in between otherwise
        await new Promise((resolve) => setImmediate(resolve));
      },
    };
    this.crashRestart = restartOnCrash(this.consumer, runConfig, logger);
    await this.consumer.run(runConfig);
    await firstFetch;
  }

  /** Sets this follower's group (fresh and empty, so its offsets can be set before it joins) to where each topic is read from. */
  private async setStartOffsets(): Promise<void> {
    const { topics, groupId } = this.options;
    for (const { topic, startAt } of topics) {
      const ends = await this.admin.fetchTopicOffsets(topic);
      let starts = new Map(ends.map((end) => [end.partition, Number(end.high)]));
      if (startAt.at === 'recent') {
        const since = await this.admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - startAt.sinceMs);
        starts = new Map(
          ends.map((end) => {
            const offset = Number(since.find((p) => p.partition === end.partition)?.offset ?? -1);
            return [end.partition, offset >= 0 ? offset : Number(end.high)];
          }),
        );
      }
      if (startAt.at === 'committed') {
        const [committed] = await this.admin.fetchOffsets({ groupId: startAt.groupId, topics: [topic] });
        starts = new Map(
          ends.map((end) => {
            const offset = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
            return [end.partition, offset >= 0 ? offset : Number(end.low)];
          }),
        );
      }
      await this.admin.setOffsets({
        groupId,
        topic,
        partitions: [...starts].map(([partition, offset]) => ({ partition, offset: String(offset) })),
      });
      for (const [partition, offset] of starts) this.positions.set(`${topic}/${partition}`, offset);
      this.starts.set(topic, starts);
    }
  }

  /**
   * Where this follower began reading `topic`, per partition: known before the first message is
   * handed on (a view that replays from the log knows which offsets it never saw). Empty before `start`.
   */
  startOffsets(topic: string): Map<number, number> {
    return new Map(this.starts.get(topic));
  }

  /** Resolves true once everything produced to `topic` before this call has been handed on; false after `timeoutMs`. */
  async caughtUp(topic: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const ends = await this.admin.fetchTopicOffsets(topic);
    for (;;) {
      if (ends.every((end) => (this.positions.get(`${topic}/${end.partition}`) ?? 0) >= Number(end.high))) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The offsets consumer group `groupId` has committed on `topic` (what it has handled), per partition. */
  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const [committed] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  /** Where `topic` ends now, per partition (the next offset to be written), as the broker says. */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  }

  async stop(): Promise<void> {
    this.crashRestart?.stop();
    await this.consumer.disconnect();
    await this.admin.disconnect().catch(() => undefined);
  }
}
