import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { TopicSpec } from '@orderline/contracts';
import type { Logger } from '@orderline/logging';
import { fixRequestQueueTimer } from './kafkajs-timer-fix';
import { replicationConfig, topicReplication, type TopicReplication } from './topic-settings';

/** The client's types other projects pass around or read: they import them from here, never from kafkajs. */
export type { IHeaders, KafkaMessage } from 'kafkajs';
export type { Kafka };

export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  logger: Logger;
}

const levels: Record<number, string> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * How long the broker may hold a fetch while there is nothing to read (it answers as soon as
 * anything arrives, so this adds no latency). Longer means fewer empty fetches from idle
 * consumers; shorter means a quicker stop and rebalance (each waits for the fetch in flight).
 */
export const FETCH_MAX_WAIT_MS = 500;

/** The one place that knows the client library: swapping kafkajs stays inside this lib. */
export function createKafka({ clientId, brokers, logger }: KafkaOptions): Kafka {
  fixRequestQueueTimer();
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, retries: 5, maxRetryTime: 2_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        // kafkajs' own `correlationId` is a protocol request number: keep it apart from ours.
        const { message, timestamp: _timestamp, correlationId: kafkaRequestId, ...rest } = log;
        // kafkajs logs every rebalance as an error-level "The group is rebalancing"; keep it as warn.
        const mapped = level === logLevel.ERROR && /rebalanc/i.test(message) ? 'warn' : (levels[level] ?? 'info');
        logger.log(mapped, message, { component: 'kafkajs', kafkaRequestId, ...rest });
      },
  });
}

/** A topic to create if missing; `config` holds topic-level settings such as max.message.bytes. */
export interface TopicToEnsure extends TopicSpec {
  config?: Record<string, string>;
}

/**
 * Creates the topics that are missing (with their partition counts and settings; existing ones are
 * left alone), then waits until every partition of every topic named has a leader. A fresh broker
 * answers "does not host this topic-partition" or "leader not available" for a while after a
 * create, and kafkajs' own wait gives up on the first; this waits for both, up to `timeoutMs`.
 *
 * Replication follows `topicReplication` (topic-settings.ts) for the cluster's size: the brokers
 * the cluster reports, or `expectedBrokers` (the apps pass how many KAFKA_BROKERS names) when that
 * is more -- so an app started while a broker of its cluster is down fails to create a topic
 * (INVALID_REPLICATION_FACTOR, and tries again on its restart) rather than quietly creating it
 * with fewer copies. On a cluster it returns once every broker knows the topics (see waitForLeaders).
 */
export async function ensureTopics(
  kafka: Kafka,
  specs: TopicToEnsure[],
  { timeoutMs = 60_000, expectedBrokers = 1 }: { timeoutMs?: number; expectedBrokers?: number } = {},
): Promise<TopicReplication> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { brokers } = await admin.describeCluster();
    const replication = topicReplication(Math.max(expectedBrokers, brokers.length));
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.numPartitions,
          replicationFactor: replication.replicationFactor,
          configEntries: Object.entries({ ...replicationConfig(replication), ...spec.config }).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    await waitForLeaders(
      admin,
      specs.map((spec) => spec.topic),
      timeoutMs,
      brokers.length,
    );
    return replication;
  } finally {
    await admin.disconnect();
  }
}

/**
 * On a cluster every broker learns of a new topic from the metadata log a moment apart, and kafkajs
 * gives up on a metadata answer "does not host this topic-partition" at once (so a consumer or
 * producer that asks a broker still behind fails to start). Each metadata request goes to a broker
 * picked at random, so on a cluster the leaders must be seen this many times in a row over at
 * least SETTLE_MS before the topics count as ready.
 */
const SETTLE_SAMPLES_PER_BROKER = 4;
const SETTLE_MS = 1_000;

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs: number, brokerCount: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const samples = brokerCount > 1 ? SETTLE_SAMPLES_PER_BROKER * brokerCount : 1;
  const settleMs = brokerCount > 1 ? SETTLE_MS : 0;
  let lastProblem = 'no answer yet';
  let seen = 0;
  let firstSeen = 0;
  while (Date.now() < deadline) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const leaderless = found.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0));
      if (found.length === topics.length && leaderless.length === 0) {
        if (seen++ === 0) firstSeen = Date.now();
        if (seen >= samples && Date.now() - firstSeen >= settleMs) return;
      } else {
        seen = 0;
        lastProblem = `no leader yet for ${leaderless.map((t) => t.name).join(', ') || 'some topics'}`;
      }
    } catch (error) {
      seen = 0;
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, seen > 0 ? settleMs / samples : 250));
  }
  throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms: ${lastProblem}`);
}

/** A connected admin client used by readiness checks: answers whether the cluster responds. */
export class KafkaHealth {
  private readonly admin: Admin;
  private connected = false;

  constructor(kafka: Kafka) {
    this.admin = kafka.admin({ retry: { retries: 0 } });
  }

  async isReachable(timeoutMs = 2_000): Promise<boolean> {
    const check = (async () => {
      if (!this.connected) {
        await this.admin.connect();
        this.connected = true;
      }
      await this.admin.describeCluster();
      return true;
    })();
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
    return Promise.race([check, timeout]).catch(() => false);
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
  }
}
