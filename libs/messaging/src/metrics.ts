import type { Admin, Kafka } from 'kafkajs';
import { Counter, Gauge } from 'prom-client';

/** Messages moved to a dead-letter topic, by the topic they came from. */
export const deadLetteredMessages = new Counter({
  name: 'orderline_dead_lettered_messages_total',
  help: 'Messages moved to <topic>.dlq (poison or kept failing), by source topic',
  labelNames: ['topic'],
});

/** Requests whose reply did not come in time (the gateway answers 504; consumers retry). */
export const requestTimeouts = new Counter({
  name: 'orderline_request_timeouts_total',
  help: 'Request/reply requests that got no reply within the timeout, by request type',
  labelNames: ['type'],
});

/** Queries skipped because their requester had stopped waiting (onQuery). */
export const expiredQueries = new Counter({
  name: 'orderline_expired_queries_total',
  help: 'Read-only requests skipped unanswered because they arrived after their reply-by time, by request type',
  labelNames: ['type'],
});

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

/**
 * Lag per partition: messages after the group's committed offset up to the end of the log. A
 * partition the group has not committed on yet counts from the oldest message still kept.
 */
export function lagOf(
  committed: { topic: string; partitions: { partition: number; offset: string }[] }[],
  ends: Map<string, { partition: number; low: string; high: string }[]>,
): PartitionLag[] {
  const lags: PartitionLag[] = [];
  for (const [topic, partitions] of ends) {
    const committedOffsets = new Map(
      (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    );
    for (const { partition, low, high } of partitions) {
      const from = Math.max(committedOffsets.get(partition) ?? -1, Number(low));
      lags.push({ topic, partition, lag: Math.max(Number(high) - from, 0) });
    }
  }
  return lags;
}

interface LagSource {
  groupId: string;
  topics: string[];
  read(): Promise<PartitionLag[]>;
}

const lagSources = new Set<LagSource>();
const SCRAPE_TIMEOUT_MS = 2_000;

/** Read when scraped (never stale); a group whose offsets cannot be read in time is left out. */
export const consumerLag = new Gauge({
  name: 'orderline_kafka_consumer_lag',
  help: 'Messages not yet consumed by the group, per topic and partition (read from the broker at scrape time)',
  labelNames: ['group', 'topic', 'partition'],
  async collect() {
    this.reset();
    await Promise.all(
      [...lagSources].map(async (source) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), SCRAPE_TIMEOUT_MS);
        });
        try {
          for (const { topic, partition, lag } of await Promise.race([source.read(), timeout])) {
            this.set({ group: source.groupId, topic, partition: String(partition) }, lag);
          }
        } catch {
          // broker unreachable: no figures for this group in this scrape (readiness says why)
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  },
});

/** Reports the lag of consumer group `groupId` on `topics` in `orderline_kafka_consumer_lag`; returns how to stop. */
export function trackConsumerLag(kafka: Kafka, groupId: string, topics: string[]): () => Promise<void> {
  let admin: Admin | undefined;
  let connecting: Promise<void> | undefined;
  const source: LagSource = {
    groupId,
    topics,
    read: async () => {
      if (!admin) {
        const fresh = kafka.admin({ retry: { retries: 0 } });
        admin = fresh;
        connecting = fresh.connect().catch((error: unknown) => {
          admin = undefined; // connect again on the next scrape
          throw error;
        });
      }
      await connecting;
      const [committed, ...ends] = await Promise.all([
        admin.fetchOffsets({ groupId, topics }),
        ...topics.map((topic) => (admin as Admin).fetchTopicOffsets(topic)),
      ]);
      return lagOf(committed, new Map(topics.map((topic, i) => [topic, ends[i]])));
    },
  };
  lagSources.add(source);
  return async () => {
    lagSources.delete(source);
    await admin?.disconnect().catch(() => undefined);
  };
}
