/**
 * Inspect and replay dead letters (`<topic>.dlq`).
 *   npm run dlq -- list <topic> [--limit N]
 *   npm run dlq -- replay <topic> [--limit N] [--dry-run] [--group ID]
 * `<topic>` is the source topic (orders.commands) or its dead-letter topic (orders.commands.dlq).
 *
 * list    reads the dead-letter topic from its beginning up to its end as it was when the command
 *         started, one JSON object per line, then a count. Reads in a throwaway consumer group
 *         that commits nothing and is deleted afterwards.
 * replay  sends every dead letter not replayed yet back to its source topic (header
 *         dlq-source-topic, else the dlq name minus ".dlq"): same key, same value, the original
 *         headers minus the dlq-* ones plus `dlq-replayed-from: <dlqTopic>:<partition>:<offset>`.
 *         Progress is committed per letter in consumer group `dlq-replayer.<source topic>` (or
 *         --group), so a second replay sends only letters that arrived since. --dry-run prints what
 *         would be sent and commits nothing. A replayed letter that fails again lands in the dlq
 *         again as a new letter, marked dlq-replayed-from (so a replay right after a replay sends
 *         it once more: replay after fixing the cause).
 * Brokers from KAFKA_BROKERS (default 127.0.0.1:9092). Exit codes: 0 done, 1 failure, 2 bad arguments.
 */
import { randomUUID } from 'node:crypto';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { Headers, deadLetterTopic } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { Publisher, createKafka } from '@orderline/messaging';

const USAGE = `usage:
  npm run dlq -- list <topic> [--limit N] [--timeout-ms MS]
  npm run dlq -- replay <topic> [--limit N] [--dry-run] [--group ID] [--timeout-ms MS]

  <topic>          the source topic (e.g. orders.commands) or its dead-letter topic (orders.commands.dlq)
  --limit N        handle at most N dead letters (a positive integer)
  --dry-run        replay only: print what would be sent, send and commit nothing
  --group ID       replay only: keep progress in consumer group ID (default dlq-replayer.<source topic>)
  --timeout-ms MS  give up reading after MS milliseconds (default 30000)
  KAFKA_BROKERS    comma-separated brokers (default 127.0.0.1:9092)`;

const DLQ_SUFFIX = '.dlq';
const VALUE_PREVIEW_CHARS = 200;
const REPLAYED_FROM_HEADER = 'dlq-replayed-from';

class UsageError extends Error {}

interface Args {
  command: 'list' | 'replay';
  sourceTopic: string;
  dlqTopic: string;
  limit: number;
  dryRun: boolean;
  /** replay progress lives here */
  group: string | undefined;
  timeoutMs: number;
}

function positiveInt(name: string, raw: string | undefined): number {
  if (raw === undefined || !/^[1-9]\d*$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`${name} needs a positive integer, got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function parseArgs(argv: string[]): Args | 'help' {
  if (argv.length === 0) throw new UsageError('missing command');
  if (argv.some((arg) => arg === '--help' || arg === '-h')) return 'help';
  const [command, ...rest] = argv;
  if (command !== 'list' && command !== 'replay') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  let topic: string | undefined;
  let limit = Number.POSITIVE_INFINITY;
  let dryRun = false;
  let group: string | undefined;
  let timeoutMs = 30_000;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const [flag, inlineValue] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => (inlineValue !== undefined ? inlineValue : rest[++i]);
    if (flag === '--limit') limit = positiveInt('--limit', value());
    else if (flag === '--timeout-ms') timeoutMs = positiveInt('--timeout-ms', value());
    else if (flag === '--group') {
      if (command !== 'replay') throw new UsageError('--group only goes with replay');
      group = value();
      if (!group || !/^[A-Za-z0-9._:-]{1,200}$/.test(group)) throw new UsageError(`--group needs a group id ([A-Za-z0-9._:-]), got ${JSON.stringify(group ?? null)}`);
    }
    else if (flag === '--dry-run' && inlineValue === undefined) {
      if (command !== 'replay') throw new UsageError('--dry-run only goes with replay');
      dryRun = true;
    } else if (flag.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    else if (topic === undefined) topic = arg;
    else throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
  }
  if (topic === undefined) throw new UsageError('missing <topic>');
  // Kafka topic names: [a-zA-Z0-9._-], at most 249 characters
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw new UsageError(`not a valid topic name: ${JSON.stringify(topic)}`);
  const sourceTopic = topic.endsWith(DLQ_SUFFIX) ? topic.slice(0, -DLQ_SUFFIX.length) : topic;
  if (sourceTopic.length === 0) throw new UsageError(`not a valid topic name: ${JSON.stringify(topic)}`);
  return { command, sourceTopic, dlqTopic: deadLetterTopic(sourceTopic), limit, dryRun, group, timeoutMs };
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

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);
const logger = createLogger('dlq', 'warn');
// Log lines go to stderr: stdout is the command's output (one JSON object per letter).
for (const transport of logger.transports) {
  (transport as unknown as { stderrLevels: Record<string, boolean> }).stderrLevels = Object.fromEntries(
    Object.keys(logger.levels).map((level) => [level, true]),
  );
}
const kafka = createKafka({ clientId: 'dlq-cli', brokers, logger });

/**
 * Reads `dlqTopic` in consumer group `groupId` from the group's committed offsets (or the
 * beginning) up to the end every partition had when this started, handing each letter to `handle`
 * in log order per partition. Stops after `limit` letters. Bounded: fails after `timeoutMs`.
 * With `commit`, the offset after each handled letter is committed in the group.
 */
async function readDeadLetters(
  dlqTopic: string,
  { groupId, limit, timeoutMs, commit, startAt }: { groupId: string; limit: number; timeoutMs: number; commit: boolean; startAt: Map<number, string> },
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

  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 1_000, allowAutoTopicCreation: false });
  let handled = 0;
  let stopped = false;
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timer = setTimeout(
    () => fail(new Error(`timed out after ${timeoutMs} ms reading ${dlqTopic} (partitions not read to the end: ${[...pending].join(', ')})`)),
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
          await handle({ partition, message });
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
async function startOffsets(dlqTopic: string, groupId: string | undefined): Promise<Map<number, string>> {
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

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);

function describe(dlqTopic: string, { partition, message }: Letter) {
  const h = message.headers ?? {};
  return {
    dlqPartition: partition,
    dlqOffset: message.offset,
    sourceTopic: headerText(h[Headers.sourceTopic]) ?? null,
    sourcePartition: headerText(h[Headers.sourcePartition]) ?? null,
    sourceOffset: headerText(h[Headers.sourceOffset]) ?? null,
    error: headerText(h[Headers.error]) ?? null,
    type: headerText(h[Headers.messageType]) ?? null,
    correlationId: headerText(h[Headers.correlationId]) ?? null,
    replayedFrom: headerText(h[REPLAYED_FROM_HEADER]) ?? null,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    key: message.key?.toString('utf8') ?? null,
    value: message.value === null ? null : truncate(message.value.toString('utf8'), VALUE_PREVIEW_CHARS),
    dlq: dlqTopic,
  };
}

async function list(args: Args): Promise<void> {
  const groupId = `dlq-list.${args.sourceTopic}.${randomUUID().slice(0, 8)}`;
  try {
    const count = await readDeadLetters(
      args.dlqTopic,
      { groupId, limit: args.limit, timeoutMs: args.timeoutMs, commit: false, startAt: await startOffsets(args.dlqTopic, undefined) },
      async (letter) => {
        console.log(JSON.stringify(describe(args.dlqTopic, letter)));
      },
    );
    console.log(`listed ${count} dead letter(s) from ${args.dlqTopic}`);
  } finally {
    // the throwaway group never committed anything; remove it so it does not linger
    const admin = kafka.admin();
    await admin.connect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

async function replay(args: Args): Promise<void> {
  const replayGroup = args.group ?? `dlq-replayer.${args.sourceTopic}`;
  const startAt = await startOffsets(args.dlqTopic, replayGroup);
  // A dry run must not touch the replay group: it reads in a throwaway group from the same offsets.
  const groupId = args.dryRun ? `dlq-dry-run.${args.sourceTopic}.${randomUUID().slice(0, 8)}` : replayGroup;
  const publisher = new Publisher(kafka);
  if (!args.dryRun) await publisher.connect();
  const perTarget = new Map<string, number>();
  try {
    const count = await readDeadLetters(
      args.dlqTopic,
      { groupId, limit: args.limit, timeoutMs: args.timeoutMs, commit: !args.dryRun, startAt },
      async ({ partition, message }) => {
        const target = headerText(message.headers?.[Headers.sourceTopic]) || args.sourceTopic;
        const headers: IHeaders = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          if (!name.startsWith('dlq-') && value !== undefined) headers[name] = value;
        }
        const replayedFrom = `${args.dlqTopic}:${partition}:${message.offset}`;
        headers[REPLAYED_FROM_HEADER] = replayedFrom;
        if (!args.dryRun) await publisher.sendRaw([{ topic: target, key: message.key, value: message.value, headers }]);
        perTarget.set(target, (perTarget.get(target) ?? 0) + 1);
        console.log(
          JSON.stringify({
            action: args.dryRun ? 'would-replay' : 'replayed',
            from: replayedFrom,
            to: target,
            key: message.key?.toString('utf8') ?? null,
            type: headerText(message.headers?.[Headers.messageType]) ?? null,
            correlationId: headerText(message.headers?.[Headers.correlationId]) ?? null,
            error: headerText(message.headers?.[Headers.error]) ?? null,
          }),
        );
      },
    );
    const targets = [...perTarget].map(([topic, n]) => `${n} to ${topic}`).join(', ');
    console.log(
      args.dryRun
        ? `dry run: would replay ${count} dead letter(s) from ${args.dlqTopic}${targets ? ` (${targets})` : ''}; nothing sent, nothing committed`
        : `replayed ${count} dead letter(s) from ${args.dlqTopic}${targets ? ` (${targets})` : ''}; progress committed in group ${replayGroup}`,
    );
  } finally {
    if (args.dryRun) {
      const admin = kafka.admin();
      await admin.connect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    } else {
      await publisher.disconnect().catch(() => undefined);
    }
  }
}

async function main(): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`dlq: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    console.log(USAGE);
    return 0;
  }
  try {
    await (args.command === 'list' ? list(args) : replay(args));
    return 0;
  } catch (error) {
    console.error(`dlq ${args.command} ${args.dlqTopic} failed: ${(error as Error).message}`);
    return 1;
  }
}

/** Exits once stdout and stderr are flushed: writes to a pipe are asynchronous, and exit() would cut them off. */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main().then(exitAfterFlush, (error) => {
  console.error(error);
  exitAfterFlush(1);
});
