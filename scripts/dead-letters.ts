/**
 * What `npm run dlq` does (scripts/dlq.ts is its command line): read the dead letters of a topic,
 * list them, replay them. Bounded everywhere: reading gives up after `timeoutMs`, a letter that can
 * never go where it should is skipped with a line saying why, and a failure stops the run instead
 * of being retried on the same letter.
 */
import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { Headers, topicSpecs } from '@orderline/contracts';
import { Publisher, PublishRefusedError, type RawMessage } from '@orderline/messaging';

export const DLQ_SUFFIX = '.dlq';
const VALUE_PREVIEW_CHARS = 200;
export const REPLAYED_FROM_HEADER = 'dlq-replayed-from';
/** dlq-source-topic of the outbox relay's letters: a table, not a topic */
export const OUTBOX_SOURCE = 'outbox_events';

export interface DeadLetterArgs {
  sourceTopic: string;
  dlqTopic: string;
  limit: number;
  dryRun: boolean;
  /** replay progress lives here */
  group: string | undefined;
  timeoutMs: number;
}

export interface DeadLetterTools {
  kafka: Kafka;
  /** one line of the command's output */
  print(line: string): void;
  /** where a replay may send letters (default: the system's topics, without the dead-letter ones) */
  knownTopics?: Iterable<string>;
  /** the largest message a replay sends (default the publisher's) */
  maxMessageBytes?: number;
}

const headerText = (value: IHeaders[string]): string | undefined => {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => v.toString()).join(',');
  return value.toString();
};

interface Letter {
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads `dlqTopic` in consumer group `groupId` from `startAt` up to the end every partition had
 * when this started, handing each letter to `handle` in log order per partition. Stops after
 * `limit` letters. Bounded: fails after `timeoutMs`, and at the first letter `handle` fails on
 * (never retried on the same letter). With `commit`, the offset after each handled letter is
 * committed in the group.
 */
async function readDeadLetters(
  kafka: Kafka,
  dlqTopic: string,
  {
    groupId,
    limit,
    timeoutMs,
    commit,
    startAt,
  }: { groupId: string; limit: number; timeoutMs: number; commit: boolean; startAt: Map<number, string> },
  handle: (letter: Letter) => Promise<void>,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(dlqTopic)) throw new Error(`topic ${dlqTopic} does not exist`);
    ends = new Map((await admin.fetchTopicOffsets(dlqTopic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  // A partition is done once its start offset reached the end it had at the start.
  const pending = new Set([...ends].filter(([partition, end]) => BigInt(startAt.get(partition) ?? '0') < end).map(([p]) => p));
  if (pending.size === 0 || limit <= 0) return 0;

  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 200,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    allowAutoTopicCreation: false,
  });
  let handled = 0;
  let stopped = false;
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = (error) => {
      stopped = true;
      reject(error);
    };
  });
  // it may fail (time out) while connecting, before anything awaits it
  finished.catch(() => undefined);
  const timer = setTimeout(
    () =>
      fail(new Error(`timed out after ${timeoutMs} ms reading ${dlqTopic} (partitions not read to the end: ${[...pending].join(', ')})`)),
    timeoutMs,
  );
  const crashed = consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail(payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (stopped) return;
        const end = ends.get(partition) ?? 0n;
        const offset = BigInt(message.offset);
        if (offset < end) {
          try {
            await handle({ partition, message });
          } catch (error) {
            // kafkajs would hand the same letter in again and again: stop here instead, this letter not committed
            fail(new Error(`${dlqTopic}:${partition}:${message.offset}: ${(error as Error).message}`, { cause: error }));
            return;
          }
          handled++;
          if (commit) await consumer.commitOffsets([{ topic: dlqTopic, partition, offset: String(offset + 1n) }]);
        }
        if (offset + 1n >= end) {
          pending.delete(partition);
          consumer.pause([{ topic: dlqTopic, partitions: [partition] }]);
        }
        if (pending.size === 0 || handled >= limit) {
          stopped = true;
          finish();
        }
      },
    });
    // Start exactly where we computed (the group's committed offset, or the beginning).
    for (const partition of pending) consumer.seek({ topic: dlqTopic, partition, offset: startAt.get(partition) ?? '0' });
    await finished;
  } finally {
    clearTimeout(timer);
    crashed();
    await consumer.disconnect().catch(() => undefined);
  }
  return handled;
}

/** Where each partition of `dlqTopic` starts for `groupId`: its committed offset, else the beginning. */
async function startOffsets(kafka: Kafka, dlqTopic: string, groupId: string | undefined): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const lows = new Map((await admin.fetchTopicOffsets(dlqTopic).catch(() => [])).map((p) => [p.partition, BigInt(p.low)]));
    const committed = new Map<number, bigint>();
    if (groupId) {
      const [topicOffsets] = await admin.fetchOffsets({ groupId, topics: [dlqTopic] });
      for (const { partition, offset } of topicOffsets?.partitions ?? []) {
        if (offset !== '-1' && offset !== '') committed.set(partition, BigInt(offset));
      }
    }
    // a committed offset below the beginning (retention deleted letters) starts at the beginning
    return new Map(
      [...lows].map(([partition, low]) => {
        const done = committed.get(partition);
        return [partition, String(done !== undefined && done > low ? done : low)];
      }),
    );
  } finally {
    await admin.disconnect();
  }
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect().catch(() => undefined);
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect().catch(() => undefined);
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);

function describe(dlqTopic: string, { partition, message }: Letter) {
  const h = message.headers ?? {};
  return {
    dlqPartition: partition,
    dlqOffset: message.offset,
    sourceTopic: headerText(h[Headers.sourceTopic]) ?? null,
    sourcePartition: headerText(h[Headers.sourcePartition]) ?? null,
    sourceOffset: headerText(h[Headers.sourceOffset]) ?? null,
    ...(h[Headers.outboxId] !== undefined
      ? { outboxId: headerText(h[Headers.outboxId]) ?? null, outboxTopic: headerText(h[Headers.outboxTopic]) ?? null }
      : {}),
    ...(h[Headers.truncatedFrom] !== undefined ? { truncatedFrom: headerText(h[Headers.truncatedFrom]) ?? null } : {}),
    error: headerText(h[Headers.error]) ?? null,
    type: headerText(h[Headers.messageType]) ?? null,
    ...(h[Headers.messageVersion] !== undefined ? { version: headerText(h[Headers.messageVersion]) ?? null } : {}),
    correlationId: headerText(h[Headers.correlationId]) ?? null,
    replayedFrom: headerText(h[REPLAYED_FROM_HEADER]) ?? null,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    key: message.key?.toString('utf8') ?? null,
    value: message.value === null ? null : truncate(message.value.toString('utf8'), VALUE_PREVIEW_CHARS),
    dlq: dlqTopic,
  };
}

/** Prints every letter of the dead-letter topic (one JSON object per line), then a count. Commits nothing. */
export async function listDeadLetters({ kafka, print }: DeadLetterTools, args: DeadLetterArgs): Promise<void> {
  const groupId = `dlq-list.${args.sourceTopic}.${randomUUID().slice(0, 8)}`;
  try {
    const count = await readDeadLetters(
      kafka,
      args.dlqTopic,
      {
        groupId,
        limit: args.limit,
        timeoutMs: args.timeoutMs,
        commit: false,
        startAt: await startOffsets(kafka, args.dlqTopic, undefined),
      },
      async (letter) => print(JSON.stringify(describe(args.dlqTopic, letter))),
    );
    print(`listed ${count} dead letter(s) from ${args.dlqTopic}`);
  } finally {
    // the throwaway group never committed anything; remove it so it does not linger
    await deleteGroup(kafka, groupId);
  }
}

/**
 * Where a letter goes back to. A consumer's letter: its source topic (dlq-source-topic), else the
 * dlq name minus ".dlq". An outbox relay's letter (dlq-source-topic `outbox_events`, no source
 * partition or offset): the topic its row was for (dlq-outbox-topic), else the dlq name minus ".dlq".
 */
function targetOf(args: DeadLetterArgs, message: KafkaMessage): { target: string; fromOutbox: boolean } {
  const h = message.headers ?? {};
  const source = headerText(h[Headers.sourceTopic]);
  const fromOutbox = source === OUTBOX_SOURCE || h[Headers.outboxId] !== undefined;
  if (fromOutbox) return { target: headerText(h[Headers.outboxTopic]) || args.sourceTopic, fromOutbox };
  return { target: source || args.sourceTopic, fromOutbox };
}

/**
 * Sends every letter not replayed yet back where it came from (`targetOf`), same key and value,
 * the original headers minus the dlq-* ones plus `dlq-replayed-from: <dlq>:<partition>:<offset>`.
 * A letter that cannot go (a topic that is not one of the system's, too large, a value cut to fit
 * the dlq) is skipped with a line naming it and the reason, and counts as done.
 * Progress is committed per letter in the replay group, unless it is a dry run.
 */
export async function replayDeadLetters(tools: DeadLetterTools, args: DeadLetterArgs): Promise<{ replayed: number; skipped: number }> {
  const { kafka, print } = tools;
  const replayGroup = args.group ?? `dlq-replayer.${args.sourceTopic}`;
  const startAt = await startOffsets(kafka, args.dlqTopic, replayGroup);
  // A dry run must not touch the replay group: it reads in a throwaway group from the same offsets.
  const groupId = args.dryRun ? `dlq-dry-run.${args.sourceTopic}.${randomUUID().slice(0, 8)}` : replayGroup;
  const publisher = new Publisher(kafka, {
    knownTopics: tools.knownTopics ?? topicSpecs.map((spec) => spec.topic).filter((topic) => !topic.endsWith(DLQ_SUFFIX)),
    maxMessageBytes: tools.maxMessageBytes,
  });
  if (!args.dryRun) await publisher.connect();
  const perTarget = new Map<string, number>();
  let replayed = 0;
  let skipped = 0;
  try {
    await readDeadLetters(
      kafka,
      args.dlqTopic,
      { groupId, limit: args.limit, timeoutMs: args.timeoutMs, commit: !args.dryRun, startAt },
      async ({ partition, message }) => {
        const { target, fromOutbox } = targetOf(args, message);
        const headers: IHeaders = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          if (!name.startsWith('dlq-') && value !== undefined) headers[name] = value;
        }
        const replayedFrom = `${args.dlqTopic}:${partition}:${message.offset}`;
        headers[REPLAYED_FROM_HEADER] = replayedFrom;
        const line = {
          from: replayedFrom,
          to: target.slice(0, 300),
          key: message.key?.toString('utf8') ?? null,
          type: headerText(message.headers?.[Headers.messageType]) ?? null,
          correlationId: headerText(message.headers?.[Headers.correlationId]) ?? null,
          error: headerText(message.headers?.[Headers.error]) ?? null,
        };
        const skip = (reason: string) => {
          skipped++;
          print(JSON.stringify({ action: args.dryRun ? 'would-skip' : 'skipped', ...line, reason }));
        };
        const row = fromOutbox ? headerText(message.headers?.[Headers.outboxId]) : undefined;
        const whole = row ? `: the whole message is in ${OUTBOX_SOURCE} row ${row}` : '';
        const truncatedFrom = headerText(message.headers?.[Headers.truncatedFrom]);
        if (truncatedFrom !== undefined)
          return skip(`the letter holds only the start of a message of ${truncatedFrom} bytes (cut to fit the dlq)${whole}`);
        if (fromOutbox && message.value === null) return skip(`the letter carries no payload${whole}`);
        const raw: RawMessage = { topic: target, key: message.key, value: message.value, headers };
        const refusal = publisher.refusalOf(raw);
        if (refusal) return skip(`${refusal.reason}: ${refusal.message}`);
        if (!args.dryRun) {
          try {
            await publisher.sendRaw([raw]);
          } catch (error) {
            if (error instanceof PublishRefusedError) return skip(`${error.reason}: ${error.message}`);
            throw error; // the broker is unavailable: the run stops, this letter stays to be replayed
          }
        }
        replayed++;
        perTarget.set(target, (perTarget.get(target) ?? 0) + 1);
        print(JSON.stringify({ action: args.dryRun ? 'would-replay' : 'replayed', ...line }));
      },
    );
    const targets = [...perTarget].map(([topic, n]) => `${n} to ${topic}`).join(', ');
    const skips = skipped > 0 ? `; ${args.dryRun ? 'would skip' : 'skipped'} ${skipped} (see "reason" above)` : '';
    print(
      args.dryRun
        ? `dry run: would replay ${replayed} dead letter(s) from ${args.dlqTopic}${targets ? ` (${targets})` : ''}${skips}; nothing sent, nothing committed`
        : `replayed ${replayed} dead letter(s) from ${args.dlqTopic}${targets ? ` (${targets})` : ''}${skips}; progress committed in group ${replayGroup}`,
    );
    return { replayed, skipped };
  } finally {
    if (args.dryRun) await deleteGroup(kafka, groupId);
    else await publisher.disconnect().catch(() => undefined);
  }
}
