import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, KafkaMessage } from '@orderline/messaging';
import { Headers, Topics, deadLetterTopic, topicSpecs } from '@orderline/contracts';
import { OutboxRepository, createPrismaClient, poolOf } from '@orderline/db';
import { createLogger } from '@orderline/logging';
import {
  BrokerUnavailableError,
  Publisher,
  PublishRefusedError,
  createKafka,
  ensureTopics,
  startOutboxPruner,
  startOutboxRelay,
  type OutboxRelay,
  type RawMessage,
} from '@orderline/messaging';
import { waitFor } from '@orderline/testing';

/**
 * libs/messaging's outbox relay with libs/db's OutboxRepository, as order-management runs them.
 * Against the real Postgres and Kafka (npm run infra:up). Each run relays from a table of its own
 * shaped like outbox_events (so no running order-management publishes its rows, and its lease is
 * its own) to topics of its own.
 */
const run = randomUUID().slice(0, 8);
const table = `test_outbox_${run}`;
const topic = `test.${run}.relayed`;
/** its broker limit is 100 kB, so a 200 kB row passes our own check and the broker refuses it */
const smallTopic = `test.${run}.small`;
const applicationName = `relay-test-${run}`;
const url = `${process.env['DATABASE_URL'] ?? 'postgresql://orderline:orderline@127.0.0.1:5432/orderline'}?application_name=${applicationName}`;
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const logger = createLogger('outbox-relay-test', 'error');
logger.silent = true; // the relay logs every dead letter as an error

const prisma = createPrismaClient(url, { poolSize: 4 });
const pool = poolOf(prisma);
const outbox = new OutboxRepository(prisma, { table });
let kafka: Kafka;
let publisher: Publisher;
const relays: OutboxRelay[] = [];
const relay = (options: Partial<Parameters<typeof startOutboxRelay>[0]>) => {
  const started = startOutboxRelay({ outbox, defaultTopic: Topics.orderEvents, publisher, logger, idleMs: 100, ...options });
  relays.push(started);
  return started;
};

beforeAll(async () => {
  await pool.query(`CREATE TABLE ${table} (LIKE outbox_events INCLUDING ALL)`);
  kafka = createKafka({ clientId: `test-${run}`, brokers, logger });
  // the system's topics too (orders.events and its dead letters): on a fresh broker no app has created them yet
  await ensureTopics(kafka, [
    ...topicSpecs,
    { topic, numPartitions: 3 },
    { topic: deadLetterTopic(topic), numPartitions: 1 },
    { topic: deadLetterTopic(smallTopic), numPartitions: 1 },
    { topic: smallTopic, numPartitions: 1, config: { 'max.message.bytes': '100000' } },
  ]);
  publisher = new Publisher(kafka, {
    knownTopics: [...topicSpecs.map((spec) => spec.topic), topic, deadLetterTopic(topic), smallTopic, deadLetterTopic(smallTopic)],
  });
  await publisher.connect();
}, 60_000); // creating the system's topics on a fresh broker takes seconds

afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
  await pool.query(`DELETE FROM ${table}`);
  await pool.query(`DELETE FROM outbox_relay_leases WHERE name = $1`, [table]);
});

afterAll(async () => {
  await publisher.disconnect();
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query(`DELETE FROM outbox_relay_leases WHERE name = $1`, [table]);
  await prisma.$disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, deadLetterTopic(topic), smallTopic, deadLetterTopic(smallTopic)] }).catch(() => undefined);
  await admin.disconnect();
});

interface Written {
  id: string;
  messageId: string;
}

/** Writes outbox rows as order-management does (the whole envelope; headers.topic), one statement, ids in this order. */
async function write(
  rows: Array<{ aggregateId: string; topic?: string; payloadBytes?: number; payload?: unknown; version?: number }>,
): Promise<Written[]> {
  const values = rows.map((row) => {
    const messageId = randomUUID();
    const payload =
      row.payload !== undefined
        ? row.payload
        : {
            messageId,
            correlationId: `c-${messageId}`,
            type: 'OrderConfirmed',
            ...(row.version !== undefined ? { version: row.version } : {}),
            occurredAt: new Date().toISOString(),
            payload: { pad: 'x'.repeat(row.payloadBytes ?? 10) },
          };
    return { messageId, aggregate_id: row.aggregateId, payload, headers: row.topic === undefined ? {} : { topic: row.topic } };
  });
  const { rows: ids } = await pool.query<{ id: string }>(
    `INSERT INTO ${table} (aggregate_id, type, payload, headers)
     SELECT (e.v->>'aggregate_id')::uuid, 'OrderConfirmed', (e.v->'payload')::jsonb, (e.v->'headers')::jsonb
     FROM json_array_elements($1::json) WITH ORDINALITY AS e(v, n)
     ORDER BY e.n RETURNING id::text AS id`,
    [JSON.stringify(values)],
  );
  return ids.map(({ id }, i) => ({ id, messageId: values[i].messageId }));
}

const published = async (ids: string[]) =>
  (await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE id = ANY($1::bigint[]) AND published_at IS NOT NULL`, [ids])).rows[0]
    .n === ids.length;

const header = (headers: IHeaders | undefined, name: string) => headers?.[name]?.toString();

/** Reads `topics` from the given offsets (default: their beginning), keeping every message. */
async function reader(topics: string[], from?: Map<string, Map<number, string>>) {
  const messages: Array<KafkaMessage & { topic: string }> = [];
  const consumer = kafka.consumer({ groupId: `test-${run}-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic: t, message }) => void messages.push({ ...message, topic: t }) });
  for (const [t, offsets] of from ?? []) for (const [partition, offset] of offsets) consumer.seek({ topic: t, partition, offset });
  return {
    messages,
    byKey: (key: string, t: string) => messages.filter((m) => m.topic === t && m.key?.toString() === key),
    stop: () => consumer.disconnect(),
  };
}

async function endOffsets(topics: string[]): Promise<Map<string, Map<number, string>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map(
      await Promise.all(
        topics.map(async (t) => [t, new Map((await admin.fetchTopicOffsets(t)).map((p) => [p.partition, p.high]))] as const),
      ),
    );
  } finally {
    await admin.disconnect();
  }
}

const messageIdOf = (m: KafkaMessage) => (JSON.parse(m.value?.toString() ?? '{}') as { messageId?: string }).messageId;

describe('outbox relay against Kafka', () => {
  // each test's reader joins a consumer group of its own first: on a fresh broker and a busy machine
  // that alone has taken most of jest's default 5 s (CI, once); the waits inside are for states
  jest.setTimeout(30_000);

  it('publishes each row to the topic it names, in order; a row over the size limit goes to <topic>.dlq with its reason and the rows behind it still go out', async () => {
    const order = randomUUID();
    const [first, tooLarge, notEnvelope, last] = await write([
      { aggregateId: order, topic },
      { aggregateId: order, topic, payloadBytes: 1_000_000 },
      { aggregateId: order, topic, payload: { hello: 'not an envelope' } },
      { aggregateId: order, topic, version: 3 },
    ]);
    const read = await reader([topic, deadLetterTopic(topic)]);
    try {
      relay({});
      await waitFor(() => published([first.id, tooLarge.id, notEnvelope.id, last.id]), { what: 'all rows marked published' });
      await waitFor(() => read.byKey(order, topic).length === 2 && read.byKey(order, deadLetterTopic(topic)).length === 2, {
        what: 'the events and the dead letters',
      });
      const events = read.byKey(order, topic);
      expect(events.map(messageIdOf)).toEqual([first.messageId, last.messageId]);
      expect(header(events[0].headers, Headers.correlationId)).toBe(`c-${first.messageId}`);
      expect(header(events[0].headers, Headers.messageType)).toBe('OrderConfirmed');
      // the envelope's version; a row written before envelopes had one is version 1
      expect(events.map((e) => header(e.headers, Headers.messageVersion))).toEqual(['1', '3']);

      const [tooLargeLetter, notEnvelopeLetter] = read.byKey(order, deadLetterTopic(topic));
      // too large for the DLQ as well: the letter keeps the payload's start; the whole row stays in the table
      const whole = (await pool.query<{ payload: string }>(`SELECT payload::text AS payload FROM ${table} WHERE id = $1`, [tooLarge.id]))
        .rows[0].payload;
      expect(header(tooLargeLetter.headers, Headers.truncatedFrom)).toBe(String(Buffer.byteLength(whole)));
      expect(whole.startsWith(tooLargeLetter.value?.toString() ?? 'x')).toBe(true);
      expect(tooLargeLetter.value?.length).toBeGreaterThan(800_000);
      expect(tooLargeLetter.value?.length).toBeLessThan(publisher.maxMessageBytes);
      expect(header(tooLargeLetter.headers, Headers.error)).toMatch(/^MESSAGE_TOO_LARGE: a message of ~\d+ bytes/);
      expect(header(tooLargeLetter.headers, Headers.sourceTopic)).toBe(table);
      expect(header(tooLargeLetter.headers, Headers.outboxId)).toBe(tooLarge.id);
      expect(header(tooLargeLetter.headers, Headers.outboxTopic)).toBe(topic);
      expect(header(notEnvelopeLetter.headers, Headers.error)).toBe(`NOT_AN_ENVELOPE: outbox row ${notEnvelope.id} is not an envelope`);
      expect(JSON.parse(notEnvelopeLetter.value?.toString() ?? '')).toEqual({ hello: 'not an envelope' });
      expect(header(notEnvelopeLetter.headers, Headers.outboxId)).toBe(notEnvelope.id);
      expect(await outbox.backlog()).toBe(0);
    } finally {
      await read.stop();
    }
  });

  it('when the broker refuses a batch our own checks let through, the rows go one by one: only the guilty one is dead-lettered, the others go out in order', async () => {
    const order = randomUUID();
    const rows = await write([
      { aggregateId: order, topic: smallTopic },
      { aggregateId: order, topic: smallTopic, payloadBytes: 200_000 },
      { aggregateId: order, topic: smallTopic },
    ]);
    const read = await reader([smallTopic, deadLetterTopic(smallTopic)]);
    try {
      relay({});
      await waitFor(() => published(rows.map((r) => r.id)), { what: 'all rows marked published' });
      await waitFor(() => read.byKey(order, smallTopic).length === 2 && read.byKey(order, deadLetterTopic(smallTopic)).length === 1, {
        what: 'the events and the dead letter',
      });
      expect(read.byKey(order, smallTopic).map(messageIdOf)).toEqual([rows[0].messageId, rows[2].messageId]);
      const [letter] = read.byKey(order, deadLetterTopic(smallTopic));
      expect(header(letter.headers, Headers.error)).toMatch(/^MESSAGE_TOO_LARGE: /);
      expect(header(letter.headers, Headers.outboxId)).toBe(rows[1].id);
      // the DLQ takes the payload: it is in the letter
      expect(messageIdOf(letter)).toBe(rows[1].messageId);
    } finally {
      await read.stop();
    }
  });

  it("a row naming no topic goes to orders.events; one naming a topic that is not the system's goes to orders.events.dlq, naming it", async () => {
    const order = randomUUID();
    const from = await endOffsets([Topics.orderEvents, deadLetterTopic(Topics.orderEvents)]);
    const [plain, stray] = await write([{ aggregateId: order }, { aggregateId: order, topic: 'no-such-topic' }]);
    const read = await reader([Topics.orderEvents, deadLetterTopic(Topics.orderEvents)], from);
    try {
      relay({});
      await waitFor(
        () => read.byKey(order, Topics.orderEvents).length === 1 && read.byKey(order, deadLetterTopic(Topics.orderEvents)).length === 1,
        { what: 'the event and the dead letter' },
      );
      expect(messageIdOf(read.byKey(order, Topics.orderEvents)[0])).toBe(plain.messageId);
      const [letter] = read.byKey(order, deadLetterTopic(Topics.orderEvents));
      expect(header(letter.headers, Headers.error)).toMatch(/^UNKNOWN_TOPIC: topic "no-such-topic" is not one of this system's topics/);
      expect(header(letter.headers, Headers.outboxTopic)).toBe('no-such-topic');
      expect(header(letter.headers, Headers.outboxId)).toBe(stray.id);
      await waitFor(() => published([plain.id, stray.id]), { what: 'both rows marked published' });
    } finally {
      await read.stop();
    }
  });
});

/** A publisher that takes what it is given and answers when the test says; `refusalOf` as the real one's. */
class FakePublisher {
  readonly calls: RawMessage[][] = [];
  readonly maxMessageBytes = publisher.maxMessageBytes;
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly answer: (messages: RawMessage[], call: number) => Promise<void>,
    private readonly real = publisher,
  ) {}
  refusalOf(message: RawMessage) {
    return this.real.refusalOf(message);
  }
  async sendRaw(messages: RawMessage[]): Promise<void> {
    this.calls.push(messages);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.answer(messages, this.calls.length);
    } finally {
      this.inFlight--;
    }
  }
}

const leaseOf = async () =>
  (
    await pool.query<{ holder: string; held: boolean; expires_at: Date }>(
      `SELECT holder, expires_at > now() AS held, expires_at FROM outbox_relay_leases WHERE name = $1`,
      [table],
    )
  ).rows[0];

describe('outbox relay and the database', () => {
  it('holds no transaction while a publish is in flight, and keeps its lease through a publish longer than the lease', async () => {
    let answer!: () => void;
    const slow = new FakePublisher(() => new Promise<void>((resolve) => (answer = resolve)));
    const rows = await write([{ aggregateId: randomUUID(), topic }]);
    relay({ publisher: slow, holder: 'slow-relay', leaseMs: 300 });
    await waitFor(() => slow.calls.length === 1, { what: 'the publish to start' });
    const firstExpiry = (await leaseOf()).expires_at.getTime();
    // the lease is renewed while the publish is pending, so no other relay takes it meanwhile
    await waitFor(async () => (await leaseOf()).expires_at.getTime() > firstExpiry + 300, { what: 'the lease to be renewed twice' });
    expect(await outbox.tryLease('other-relay', 300)).toBe(false);
    const sessions = await pool.query<{ state: string }>(
      `SELECT state FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`,
      [applicationName],
    );
    expect(sessions.rows.length).toBeGreaterThan(0); // the relay's connections (idle between its statements)
    expect(sessions.rows.filter((s) => s.state.startsWith('idle in transaction'))).toEqual([]);
    expect(await published(rows.map((r) => r.id))).toBe(false);
    answer();
    await waitFor(() => published(rows.map((r) => r.id)), { what: 'the row marked published' });
    // and the lease let go at once
    await waitFor(async () => !(await leaseOf()).held, { what: 'the lease released' });
  });

  it('two relays never publish at once, and every row goes out once, in order', async () => {
    const fake = new FakePublisher(() => new Promise((resolve) => setTimeout(resolve, 5)));
    const rows = await write(Array.from({ length: 60 }, () => ({ aggregateId: randomUUID(), topic })));
    const a = relay({ publisher: fake, holder: 'relay-a', batchSize: 4, lockedMs: 1 });
    const b = relay({ publisher: fake, holder: 'relay-b', batchSize: 4, lockedMs: 1 });
    // wake-ups keep both trying all the time
    const waking = setInterval(() => [a, b].forEach((r) => r.wake()), 1);
    try {
      await waitFor(() => published(rows.map((r) => r.id)), { what: 'all rows marked published' });
    } finally {
      clearInterval(waking);
    }
    expect(fake.maxInFlight).toBe(1);
    const sent = fake.calls.flat().map(messageIdOf2);
    expect(sent).toEqual(rows.map((r) => r.messageId));
  });

  it('a relay that died holding the lease is replaced once the lease expires', async () => {
    expect(await outbox.tryLease('dead-relay', 1_000)).toBe(true);
    const taken = Date.now();
    const rows = await write([{ aggregateId: randomUUID(), topic }]);
    const fake = new FakePublisher(async () => undefined);
    relay({ publisher: fake, holder: 'survivor', lockedMs: 20 });
    await waitFor(() => published(rows.map((r) => r.id)), { what: 'the row marked published' });
    expect(Date.now() - taken).toBeGreaterThanOrEqual(900);
    expect(fake.calls.length).toBe(1);
  });

  it('waits for the broker with doubling pauses up to the cap, then publishes: nothing lost, nothing dead-lettered', async () => {
    const times: number[] = [];
    const flaky = new FakePublisher(async (_messages, call) => {
      times.push(Date.now());
      if (call <= 4) throw new BrokerUnavailableError('could not publish to Kafka: broker down');
    });
    const rows = await write([
      { aggregateId: randomUUID(), topic },
      { aggregateId: randomUUID(), topic },
    ]);
    relay({ publisher: flaky, retryMs: 100, maxRetryMs: 250 });
    await waitFor(() => published(rows.map((r) => r.id)), { what: 'the rows marked published' });
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // 100, 200, 250 (capped), 250
    expect(gaps).toHaveLength(4);
    expect(gaps[0]).toBeGreaterThanOrEqual(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(190);
    expect(gaps[2]).toBeGreaterThanOrEqual(240);
    expect(gaps[3]).toBeGreaterThanOrEqual(240);
    expect(Math.max(...gaps)).toBeLessThan(1_000);
    expect(flaky.calls.every((call) => call.every((m) => m.topic === topic))).toBe(true);
  });

  it('a row the broker keeps not taking while it takes the rest goes to its DLQ after maxAttempts, and the rows behind it go out', async () => {
    const rows = await write([
      { aggregateId: randomUUID(), topic },
      { aggregateId: randomUUID(), topic },
      { aggregateId: randomUUID(), topic },
    ]);
    const stuck = rows[1].messageId;
    const taken: RawMessage[] = [];
    const fake = new FakePublisher(async (messages) => {
      if (messages.some((m) => m.topic === topic && messageIdOf2(m) === stuck))
        throw new BrokerUnavailableError('could not publish to Kafka: partition unavailable');
      taken.push(...messages);
    });
    relay({ publisher: fake, retryMs: 10, maxRetryMs: 20, maxAttempts: 3 });
    await waitFor(() => published(rows.map((r) => r.id)), { what: 'all rows marked published' });
    expect(taken.map((m) => [m.topic, messageIdOf2(m)])).toEqual([
      [topic, rows[0].messageId],
      [deadLetterTopic(topic), stuck],
      [topic, rows[2].messageId],
    ]);
    expect(header(taken[1].headers, Headers.error)).toMatch(
      /^BROKER_UNAVAILABLE: not published after 4 attempts: could not publish to Kafka: partition unavailable/,
    );
    expect(header(taken[1].headers, Headers.outboxId)).toBe(rows[1].id);
  });

  it('while the broker takes nothing, nothing is dead-lettered: the rows wait, then go out in order', async () => {
    const rows = await write([
      { aggregateId: randomUUID(), topic },
      { aggregateId: randomUUID(), topic },
    ]);
    const taken: RawMessage[] = [];
    const fake = new FakePublisher(async (messages, call) => {
      if (call <= 12) throw new BrokerUnavailableError('could not publish to Kafka: broker down');
      taken.push(...messages);
    });
    relay({ publisher: fake, retryMs: 10, maxRetryMs: 20, maxAttempts: 2 });
    await waitFor(() => published(rows.map((r) => r.id)), { what: 'the rows marked published' });
    expect(fake.calls.length).toBeGreaterThan(12);
    expect(taken.map((m) => [m.topic, messageIdOf2(m)])).toEqual(rows.map((r) => [topic, r.messageId]));
  });

  it('going one by one after a refusal, marks the rows already done when the broker then fails, and goes on from there', async () => {
    const rows = await write([
      { aggregateId: randomUUID(), topic },
      { aggregateId: randomUUID(), topic },
      { aggregateId: randomUUID(), topic },
    ]);
    let brokerDown = true;
    const fake = new FakePublisher(async (messages, call) => {
      if (call === 1) throw new PublishRefusedError('could not publish to Kafka: refused', 'CORRUPT_MESSAGE');
      if (messages.length === 1 && messageIdOf2(messages[0]) === rows[1].messageId && brokerDown) {
        brokerDown = false;
        throw new BrokerUnavailableError('could not publish to Kafka: broker down');
      }
    });
    relay({ publisher: fake, retryMs: 50 });
    await waitFor(() => published(rows.map((r) => r.id)), { what: 'all rows marked published' });
    // batch (refused), row 0, row 1 (broker down: row 0 marked), then rows 1 and 2 in one batch
    expect(fake.calls.map((call) => call.map(messageIdOf2))).toEqual([
      rows.map((r) => r.messageId),
      [rows[0].messageId],
      [rows[1].messageId],
      [rows[1].messageId, rows[2].messageId],
    ]);
  });
});

describe('outbox pruner and the database', () => {
  it('deletes the rows published longer ago than the retention, oldest first, and only those', async () => {
    const [unpublished, old, older, recent] = await write([
      { aggregateId: randomUUID() },
      { aggregateId: randomUUID() },
      { aggregateId: randomUUID() },
      { aggregateId: randomUUID() },
    ]);
    await pool.query(`UPDATE ${table} SET published_at = now() - interval '2 hours' WHERE id = $1`, [old.id]);
    await pool.query(`UPDATE ${table} SET published_at = now() - interval '3 hours' WHERE id = $1`, [older.id]);
    await pool.query(`UPDATE ${table} SET published_at = now() - interval '1 minute' WHERE id = $1`, [recent.id]);
    const left = async () => (await pool.query<{ id: string }>(`SELECT id::text AS id FROM ${table} ORDER BY id`)).rows.map((r) => r.id);

    // one at a time: the oldest published goes first
    await expect(outbox.deletePublished(3_600_000, 1)).resolves.toBe(1);
    expect(await left()).toEqual([unpublished.id, old.id, recent.id]);
    const pruner = startOutboxPruner({ outbox, retentionMs: 3_600_000, logger, everyMs: 3_600_000, batchSize: 10 });
    await expect(pruner.prune()).resolves.toBe(1);
    await pruner.stop();
    expect(await left()).toEqual([unpublished.id, recent.id]);
  });
});

function messageIdOf2(message: RawMessage): string | undefined {
  return (JSON.parse(message.value?.toString() ?? '{}') as { messageId?: string }).messageId;
}
