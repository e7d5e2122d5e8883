import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as contracts from './index';
import { OrderEventTypes } from './messages/order-messages';
import { deadLetterTopic, topicSpecs, type TopicSpec } from './topics';

// docs/architecture.md has one table row per topic: | topic | partitions | key | message types | producers | consumers |
const ARCHITECTURE = path.resolve(__dirname, '../../../docs/architecture.md');
const DLQ_PATTERN = '<topic>.dlq';

interface Row {
  topics: string[];
  partitions: string;
  messageTypes: string;
}

/** The rows of the table whose header starts with `| topic | partitions |`. */
function topicRows(markdown: string): Row[] | undefined {
  const lines = markdown.split(/\r?\n/);
  const cells = (line: string) =>
    line
      .trim()
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split('|')
      .map((cell) => cell.trim());
  const start = lines.findIndex((line) => /^\|\s*topic\s*\|\s*partitions\s*\|/.test(line.trim()));
  if (start < 0) return undefined;
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    const [topic = '', partitions = '', , messageTypes = ''] = cells(line);
    rows.push({ topics: [...topic.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string), partitions, messageTypes });
  }
  return rows;
}

/** Every contract (request or one-way message) libs/contracts exports, with its topic. */
const messageContracts = Object.entries(contracts).flatMap(([name, value]) =>
  value && typeof value === 'object' && 'type' in value && 'topic' in value && ('request' in value || 'payload' in value)
    ? [{ name, type: String(value.type), topic: String(value.topic) }]
    : [],
);

/** What the table gets wrong about `specs`; empty when it agrees. */
function topicDocProblems(markdown: string, specs: TopicSpec[]): string[] {
  const rows = topicRows(markdown);
  if (!rows) return ['no table with the header | topic | partitions | …'];
  const problems: string[] = [];
  const known = new Set(specs.map((spec) => spec.topic));
  const isDlq = (topic: string) => specs.some((spec) => deadLetterTopic(spec.topic) === topic);
  for (const row of rows) {
    if (row.topics.length === 0) problems.push(`a row names no topic in backticks (partitions ${row.partitions})`);
    for (const topic of row.topics) {
      if (topic !== DLQ_PATTERN && !known.has(topic)) problems.push(`row for ${topic}: no such topic in topicSpecs`);
    }
  }
  const rowOf = (topic: string) => rows.filter((row) => row.topics[0] === topic);
  for (const spec of specs.filter((s) => !isDlq(s.topic))) {
    const found = rowOf(spec.topic);
    if (found.length !== 1) problems.push(`${spec.topic}: ${found.length} rows, expected 1`);
    else if (found[0]?.partitions !== String(spec.numPartitions)) {
      problems.push(`${spec.topic}: partitions ${found[0]?.partitions}, topicSpecs says ${spec.numPartitions}`);
    }
  }
  const dlqSpecs = specs.filter((s) => isDlq(s.topic));
  const [dlqRow, ...extra] = rowOf(DLQ_PATTERN);
  if (dlqSpecs.length > 0 && (!dlqRow || extra.length > 0))
    problems.push(`${DLQ_PATTERN}: expected one row describing every dead-letter topic`);
  for (const spec of dlqSpecs) {
    if (dlqRow && dlqRow.partitions !== String(spec.numPartitions)) {
      problems.push(`${spec.topic}: partitions ${spec.numPartitions} in topicSpecs, the ${DLQ_PATTERN} row says ${dlqRow.partitions}`);
    }
  }
  return problems;
}

describe('docs/architecture.md topic table', () => {
  const doc = readFileSync(ARCHITECTURE, 'utf8');

  it('has one row per topic of topicSpecs with its partition count, and no other topic', () => {
    expect(topicDocProblems(doc, topicSpecs)).toEqual([]);
  });

  it('names every message type in the row of the topic it travels on', () => {
    const rows = topicRows(doc) ?? [];
    const typesOf = (topic: string) => rows.find((row) => row.topics[0] === topic)?.messageTypes ?? '';
    expect(messageContracts.length).toBeGreaterThan(5);
    for (const { name, type, topic } of messageContracts) {
      expect({ name, listed: typesOf(topic).includes(`\`${type}\``) }).toEqual({ name, listed: true });
    }
    for (const type of OrderEventTypes) expect(typesOf(contracts.Topics.orderEvents)).toContain(`\`${type}\``);
  });

  it('catches a wrong partition count, a missing topic, an unknown topic and a missing dead-letter row', () => {
    const ordersRow = /^\| `orders\.commands` \| 12 \|/m;
    expect(doc).toMatch(ordersRow);
    expect(topicDocProblems(doc.replace(ordersRow, '| `orders.commands` | 13 |'), topicSpecs)).toEqual([
      'orders.commands: partitions 13, topicSpecs says 12',
    ]);
    expect(topicDocProblems(doc.replace(/^\| `orders\.queries` .*\n/m, ''), topicSpecs)).toEqual(['orders.queries: 0 rows, expected 1']);
    expect(topicDocProblems(doc.replace(ordersRow, '| `orders.commandz` | 12 |'), topicSpecs)).toEqual([
      'row for orders.commandz: no such topic in topicSpecs',
      'orders.commands: 0 rows, expected 1',
    ]);
    expect(topicDocProblems(doc.replace(/^\| `<topic>\.dlq` .*\n/m, ''), topicSpecs)).toEqual([
      '<topic>.dlq: expected one row describing every dead-letter topic',
    ]);
    expect(topicDocProblems(doc, [...topicSpecs, { topic: 'orders.archive', numPartitions: 3 }])).toEqual([
      'orders.archive: 0 rows, expected 1',
    ]);
  });
});
