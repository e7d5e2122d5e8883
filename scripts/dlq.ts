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
 *         dlq-source-topic, else the dlq name minus ".dlq"; for the outbox relay's letters,
 *         dlq-source-topic `outbox_events`, the topic of their row, dlq-outbox-topic, else the dlq
 *         name minus ".dlq"): same key, same value, the original headers minus the dlq-* ones plus
 *         `dlq-replayed-from: <dlqTopic>:<partition>:<offset>`. A letter that cannot go (its target
 *         is not one of the system's topics, it is too large, its value was cut to fit the dlq)
 *         is skipped with a line naming it and the reason (action "skipped"), and counts as done.
 *         Progress is committed per letter in consumer group `dlq-replayer.<source topic>` (or
 *         --group), so a second replay sends only letters that arrived since. --dry-run prints what
 *         would be sent and commits nothing. A replayed letter that fails again lands in the dlq
 *         again as a new letter, marked dlq-replayed-from (so a replay right after a replay sends
 *         it once more: replay after fixing the cause). The broker failing stops the run (exit 1)
 *         at that letter, which a later replay sends.
 * Brokers from KAFKA_BROKERS (default 127.0.0.1:9092). Exit codes: 0 done, 1 failure, 2 bad arguments.
 */
import { deadLetterTopic } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { createKafka } from '@orderline/messaging';
import { DLQ_SUFFIX, listDeadLetters, replayDeadLetters, type DeadLetterArgs, type DeadLetterTools } from './dead-letters';

const USAGE = `usage:
  npm run dlq -- list <topic> [--limit N] [--timeout-ms MS]
  npm run dlq -- replay <topic> [--limit N] [--dry-run] [--group ID] [--timeout-ms MS]

  <topic>          the source topic (e.g. orders.commands) or its dead-letter topic (orders.commands.dlq)
  --limit N        handle at most N dead letters (a positive integer)
  --dry-run        replay only: print what would be sent, send and commit nothing
  --group ID       replay only: keep progress in consumer group ID (default dlq-replayer.<source topic>)
  --timeout-ms MS  give up reading after MS milliseconds (default 30000)
  KAFKA_BROKERS    comma-separated brokers (default 127.0.0.1:9092)
  KAFKA_MAX_MESSAGE_BYTES  replay only: larger letters are skipped (default as the apps')`;

class UsageError extends Error {}

interface Args extends DeadLetterArgs {
  command: 'list' | 'replay';
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
    const [flag, inlineValue] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => (inlineValue !== undefined ? inlineValue : rest[++i]);
    if (flag === '--limit') limit = positiveInt('--limit', value());
    else if (flag === '--timeout-ms') timeoutMs = positiveInt('--timeout-ms', value());
    else if (flag === '--group') {
      if (command !== 'replay') throw new UsageError('--group only goes with replay');
      group = value();
      if (!group || !/^[A-Za-z0-9._:-]{1,200}$/.test(group))
        throw new UsageError(`--group needs a group id ([A-Za-z0-9._:-]), got ${JSON.stringify(group ?? null)}`);
    } else if (flag === '--dry-run' && inlineValue === undefined) {
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

const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);
const maxMessageBytes = process.env['KAFKA_MAX_MESSAGE_BYTES'] ? Number(process.env['KAFKA_MAX_MESSAGE_BYTES']) : undefined;
const logger = createLogger('dlq', 'warn');
// Log lines go to stderr: stdout is the command's output (one JSON object per letter).
for (const transport of logger.transports) {
  (transport as unknown as { stderrLevels: Record<string, boolean> }).stderrLevels = Object.fromEntries(
    Object.keys(logger.levels).map((level) => [level, true]),
  );
}
const tools: DeadLetterTools = {
  kafka: createKafka({ clientId: 'dlq-cli', brokers, logger }),
  print: (line) => console.log(line),
  maxMessageBytes: Number.isSafeInteger(maxMessageBytes) && (maxMessageBytes ?? 0) > 0 ? maxMessageBytes : undefined,
};

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
    await (args.command === 'list' ? listDeadLetters(tools, args) : replayDeadLetters(tools, args));
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
