import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Partitioners, type IHeaders, type Producer } from 'kafkajs';
import * as contracts from '@orderline/contracts';
import {
  CreateOrder,
  Envelope,
  GetProduct,
  Headers,
  ListOrders,
  ReleaseStock,
  Topics,
  deadLetterTopic,
  topicSpecs,
} from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { createKafka, newEnvelope } from '@orderline/messaging';
import { createTestCustomer, createTestProduct, stockOf, testPrisma, validAddress } from '@orderline/testing';
import { api, bearer, customerToken, orderBody, placeOrder, waitForDecision } from './support/api';
import { TopicReader, type Received } from './support/topic-reader';

/**
 * Poison messages on every consumed topic go to `<topic>.dlq` with the reason and their origin in
 * headers, and the consumer moves on; `npm run dlq` lists and replays them.
 *
 * Every message this file plants is keyed by a marker unique to the run, so the assertions hold
 * whatever else the dead-letter topics already contain (they are read from the beginning).
 */

const workspaceRoot = path.resolve(__dirname, '../../..');
const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const kafka = createKafka({ clientId: 'e2e-dead-letters', brokers, logger: createLogger('e2e', 'error') });
const prisma = testPrisma();
const runId = randomUUID().slice(0, 8);
const token = customerToken('CUST01');

const consumedTopics = [
  Topics.orderCommands,
  Topics.orderQueries,
  Topics.customerRequests,
  Topics.inventoryRequests,
  Topics.inventoryQueries,
];
const dlqReader = new TopicReader(kafka, consumedTopics.map(deadLetterTopic), true, 'dlq-reader');
// replies to the requests planted here (replyTo: gateway.replies; the gateways ignore replies they do not wait for)
const replyReader = new TopicReader(kafka, [Topics.gatewayReplies], false, 'reply-reader');
let producer: Producer;

const replyTo = (messageId: string) =>
  replyReader.waitFor((m) => {
    try {
      return Envelope.parse(JSON.parse(m.value?.toString('utf8') ?? '')).inReplyTo === messageId;
    } catch {
      return false;
    }
  }, `the reply to ${messageId}`);
const replyPayload = (m: Received) =>
  Envelope.parse(JSON.parse(m.value?.toString('utf8') ?? '')).payload as {
    ok: boolean;
    result?: unknown;
    error?: { code: string; message: string };
  };

/** Produces one message (to an explicit partition when given) and returns where it landed. */
async function produce(
  topic: string,
  message: { key: string; value: string | Buffer; headers?: IHeaders; partition?: number },
): Promise<{ partition: number; offset: string }> {
  const [meta] = await producer.send({ topic, acks: -1, messages: [message] });
  return { partition: meta.partition, offset: meta.baseOffset as string };
}

const envelopeHeaders = (envelope: Envelope, marker: string): IHeaders => ({
  [Headers.correlationId]: envelope.correlationId,
  [Headers.messageType]: envelope.type,
  'x-e2e-marker': marker,
});

function runCli(args: string[], { viaNpm = false } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const [file, argv] = viaNpm ? ['npm', ['run', 'dlq', '--', ...args]] : ['npx', ['tsx', 'scripts/dlq.ts', ...args]];
  return new Promise((resolve) => {
    execFile(
      file,
      argv as string[],
      { cwd: workspaceRoot, env: { ...process.env, KAFKA_BROKERS: brokers.join(',') }, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The JSON objects among a command's output lines (npm adds a header, the CLI a summary line). */
const jsonLines = (stdout: string): Record<string, unknown>[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * The replays here keep their progress in a group of this run's own, started at the current end of
 * orders.commands.dlq: they send only letters that arrive during this run (this file's), never
 * whatever older letters the shared broker holds (re-injecting those into the live system is an
 * operator's decision), and the real `dlq-replayer.orders.commands` group is left alone.
 */
const replayGroup = `e2e-dlq-replayer-${runId}`;

beforeAll(async () => {
  producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const dlq = deadLetterTopic(Topics.orderCommands);
    const ends = await admin.fetchTopicOffsets(dlq);
    await admin.setOffsets({
      groupId: replayGroup,
      topic: dlq,
      partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
    });
  } finally {
    await admin.disconnect();
  }
  await Promise.all([dlqReader.start(), replyReader.start()]);
});

afterAll(async () => {
  await Promise.all([dlqReader.stop(), replyReader.stop(), producer?.disconnect()]);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([dlqReader.groupId, replyReader.groupId, replayGroup]).catch(() => undefined);
  await admin.disconnect();
  await prisma.$disconnect();
});

type PoisonKind = 'not-json' | 'json-not-envelope' | 'unknown-type' | 'invalid-payload' | 'unsupported-version';

interface PlantedPoison {
  kind: PoisonKind;
  marker: string;
  value: string;
  partition: number;
  offset: string;
  messageId?: string;
}

interface TopicCase {
  topic: string;
  /** a known message type of this topic with a payload that breaks its schema */
  invalid: { type: string; payload: unknown; isRequest: boolean; schema: SchemaLike };
  /** sends a valid message to `partition` and resolves once it was handled */
  probe(partition: number, marker: string): Promise<void>;
}

/** A valid request to `topic`/`partition`; resolves with the (successful) reply's result. */
async function request(topic: string, partition: number, marker: string, type: string, payload: unknown): Promise<unknown> {
  const envelope = newEnvelope(type, payload, `e2e-probe-${marker}`, { replyTo: Topics.gatewayReplies });
  await produce(topic, { key: marker, partition, value: JSON.stringify(envelope), headers: envelopeHeaders(envelope, marker) });
  const reply = replyPayload(await replyTo(envelope.messageId));
  expect(reply).toMatchObject({ ok: true });
  return reply.result;
}

interface SchemaLike {
  safeParse(value: unknown): { success: boolean };
}

/**
 * The request contract of `topic` named `type` (else the first one on that topic), looked up at run
 * time: the services' internal contracts (e.g. customer and stock look-ups) change while the
 * gateway-facing ones stay put, and this test is about dead-lettering, not about their shape.
 */
function requestContract(topic: string, type: string): { type: string; request: SchemaLike } {
  const onTopic = Object.values(contracts as Record<string, unknown>).filter(
    (value): value is { type: string; topic: string; request: SchemaLike } =>
      typeof value === 'object' &&
      value !== null &&
      'type' in value &&
      'request' in value &&
      (value as { topic?: unknown }).topic === topic,
  );
  const contract = onTopic.find((c) => c.type === type) ?? onTopic[0];
  if (!contract) throw new Error(`no request contract on ${topic}`);
  return contract;
}

/** The first candidate the schema accepts. */
function firstValid(schema: SchemaLike, candidates: unknown[]): unknown {
  const found = candidates.find((candidate) => schema.safeParse(candidate).success);
  if (found === undefined) throw new Error(`none of ${JSON.stringify(candidates)} is a valid payload`);
  return found;
}

const customerLookup = requestContract(Topics.customerRequests, 'GetCustomer');
const stockReservation = requestContract(Topics.inventoryRequests, 'ReserveStock');

const cases: TopicCase[] = [
  {
    topic: Topics.orderCommands,
    invalid: {
      type: CreateOrder.type,
      payload: { orderId: 'not-a-uuid', customerId: 'CUST01', items: [] },
      isRequest: false,
      schema: CreateOrder.payload,
    },
    async probe(partition) {
      // a valid CreateOrder right behind the poison, on the same partition
      const product = await createTestProduct(prisma, { stock: 5, unitPrice: '3.00' });
      const orderId = randomUUID();
      const envelope = newEnvelope(
        CreateOrder.type,
        { orderId, customerId: 'CUST01', items: [{ productId: product.id, quantity: 2 }], shippingAddress: validAddress },
        `e2e-probe-${orderId}`,
      );
      await produce(Topics.orderCommands, {
        key: orderId,
        partition,
        value: JSON.stringify(envelope),
        headers: envelopeHeaders(envelope, orderId),
      });
      expect(await waitForDecision(orderId)).toMatchObject({ status: 'CONFIRMED', totalAmount: '6.00' });
    },
  },
  {
    topic: Topics.orderQueries,
    invalid: {
      type: ListOrders.type,
      payload: { caller: { customerId: 'CUST01', role: 'emperor' }, limit: 0 },
      isRequest: true,
      schema: ListOrders.request,
    },
    async probe(partition, marker) {
      const result = await request(Topics.orderQueries, partition, marker, ListOrders.type, {
        caller: { customerId: 'CUST01', role: 'customer' },
        limit: 1,
      });
      expect(result).toMatchObject({ items: expect.any(Array) });
    },
  },
  {
    topic: Topics.customerRequests,
    invalid: {
      type: customerLookup.type,
      payload: { customerId: 42, customerIds: 'CUST01' },
      isRequest: true,
      schema: customerLookup.request,
    },
    async probe(partition, marker) {
      const payload = firstValid(customerLookup.request, [{ customerIds: ['CUST01'] }, { customerId: 'CUST01' }]);
      const result = await request(Topics.customerRequests, partition, marker, customerLookup.type, payload);
      expect(JSON.stringify(result)).toContain('"CUST01"');
    },
  },
  {
    topic: Topics.inventoryRequests,
    invalid: {
      type: stockReservation.type,
      payload: { orderId: 'not-a-uuid', orders: [{ orderId: 'not-a-uuid', items: [] }], items: [{ productId: 'PROD-0001', quantity: -5 }] },
      isRequest: true,
      schema: stockReservation.request,
    },
    async probe(partition, marker) {
      const result = await request(Topics.inventoryRequests, partition, marker, ReleaseStock.type, { orderId: randomUUID() });
      expect(result).toEqual({ released: [] });
    },
  },
  {
    topic: Topics.inventoryQueries,
    invalid: { type: GetProduct.type, payload: { productId: 42 }, isRequest: true, schema: GetProduct.request },
    async probe(partition, marker) {
      const result = await request(Topics.inventoryQueries, partition, marker, GetProduct.type, { productId: 'PROD-0001' });
      expect(result).toMatchObject({ product: { id: 'PROD-0001' } });
    },
  },
];

const expectedError: Record<PoisonKind, (type: string) => RegExp> = {
  'not-json': () => /not a valid envelope/i,
  'json-not-envelope': () => /not a valid envelope/i,
  'unknown-type': () => /unknown message type NoSuchMessageType/,
  'invalid-payload': (type) => new RegExp(`invalid ${type} payload`),
  'unsupported-version': (type) => new RegExp(`unsupported version 99 of ${type}: this consumer reads versions 1 to 2`),
};

/** What each case planted, for the CLI tests further down. */
const planted = new Map<string, PlantedPoison[]>();

describe('poison messages go to <topic>.dlq and the consumer moves on', () => {
  describe.each(cases)('$topic', (topicCase) => {
    const { topic } = topicCase;
    const numPartitions = topicSpecs.find((spec) => spec.topic === topic)?.numPartitions ?? 1;

    it('dead-letters each poison message with its reason and origin, then handles the next message on that partition', async () => {
      // all four on one partition, then a valid message behind them on the same partition
      const partition = Math.floor(Math.random() * numPartitions);
      const marker = (kind: PoisonKind) => `dlq-e2e-${runId}-${topic}-${kind}`;
      const poison: PlantedPoison[] = [];
      const plant = async (kind: PoisonKind, value: string, headers: IHeaders, messageId?: string) => {
        const key = marker(kind);
        const at = await produce(topic, { key, value, partition, headers: { 'x-e2e-marker': key, ...headers } });
        poison.push({ kind, marker: key, value, messageId, ...at });
      };

      await plant('not-json', `this is not JSON ${marker('not-json')} {"`, {});
      await plant('json-not-envelope', JSON.stringify({ marker: marker('json-not-envelope'), hello: 'world', payload: {} }), {});
      const unknown = newEnvelope('NoSuchMessageType', { marker: marker('unknown-type') }, `e2e-${marker('unknown-type')}`);
      await plant('unknown-type', JSON.stringify(unknown), envelopeHeaders(unknown, marker('unknown-type')));
      const { type, payload, isRequest, schema } = topicCase.invalid;
      expect(schema.safeParse(payload).success).toBe(false); // really invalid for the current contract
      // a request names where its answer goes: the BAD_REQUEST answer must come before the dead letter
      const invalid = newEnvelope(type, payload, `e2e-${marker('invalid-payload')}`, isRequest ? { replyTo: Topics.gatewayReplies } : {});
      await plant('invalid-payload', JSON.stringify(invalid), envelopeHeaders(invalid, marker('invalid-payload')), invalid.messageId);
      // a version no consumer of today reads (written by a producer far ahead): refused whatever its payload
      const future = newEnvelope(
        { type, version: 99 },
        payload,
        `e2e-${marker('unsupported-version')}`,
        isRequest ? { replyTo: Topics.gatewayReplies } : {},
      );
      const futureHeaders = { ...envelopeHeaders(future, marker('unsupported-version')), [Headers.messageVersion]: '99' };
      await plant('unsupported-version', JSON.stringify(future), futureHeaders, future.messageId);
      planted.set(topic, poison);

      for (const sent of poison) {
        const letter = await dlqReader.waitFor(
          (m) => m.key === sent.marker && m.headers[Headers.sourceOffset] === sent.offset,
          `the ${sent.kind} letter from ${topic}`,
        );
        expect(letter.topic).toBe(`${topic}.dlq`);
        expect(letter.value?.toString('utf8')).toBe(sent.value); // byte for byte
        expect(letter.headers).toMatchObject({
          [Headers.sourceTopic]: topic,
          [Headers.sourcePartition]: String(sent.partition),
          [Headers.sourceOffset]: sent.offset,
          'x-e2e-marker': sent.marker, // the original headers travel along
        });
        expect(letter.headers[Headers.error]).toMatch(expectedError[sent.kind](type));
      }

      if (isRequest) {
        const invalidSent = poison.find((p) => p.kind === 'invalid-payload');
        const reply = replyPayload(await replyTo(invalidSent?.messageId as string));
        expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining(type) } });
        const futureSent = poison.find((p) => p.kind === 'unsupported-version');
        const refusal = replyPayload(await replyTo(futureSent?.messageId as string));
        expect(refusal).toMatchObject({
          ok: false,
          error: { code: 'BAD_REQUEST', message: expect.stringMatching(expectedError['unsupported-version'](type)) },
        });
      }

      await topicCase.probe(partition, `dlq-e2e-${runId}-${topic}-probe`);
    });
  });

  it('afterwards an order placed through the gateway is still CONFIRMED, and lists still answer', async () => {
    const product = await createTestProduct(prisma, { stock: 10, unitPrice: '2.50' });
    // a customer of this test's own: its list holds only this order, whatever else runs
    const ownToken = customerToken(await createTestCustomer(prisma));
    const orderId = await placeOrder(ownToken, orderBody([{ productId: product.id, quantity: 4 }]));
    expect(await waitForDecision(orderId, ownToken)).toMatchObject({ status: 'CONFIRMED', totalAmount: '10.00' });
    expect(await stockOf(prisma, product.id)).toBe(6);
    const list = await api().get('/api/v1/orders?limit=5').set(bearer(ownToken));
    expect(list.status).toBe(200);
    expect(list.body.items.map((o: { id: string }) => o.id)).toEqual([orderId]);
  });
});

describe('npm run dlq', () => {
  it('list prints every dead letter of the topic with its origin and reason, then a count', async () => {
    const poison = planted.get(Topics.orderCommands);
    expect(poison).toHaveLength(5);
    const { code, stdout, stderr } = await runCli(['list', 'orders.commands.dlq']);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const letters = jsonLines(stdout);
    for (const sent of poison ?? []) {
      expect(stdout).toContain(sent.marker);
      expect(letters).toContainEqual(
        expect.objectContaining({
          key: sent.marker,
          sourceTopic: Topics.orderCommands,
          sourcePartition: String(sent.partition),
          sourceOffset: sent.offset,
          error: expect.stringMatching(expectedError[sent.kind](CreateOrder.type)),
          dlqPartition: expect.any(Number),
          dlqOffset: expect.any(String),
        }),
      );
    }
    const future = poison?.find((p) => p.kind === 'unsupported-version');
    expect(letters).toContainEqual(expect.objectContaining({ key: future?.marker, type: CreateOrder.type, version: '99' }));
    const count = /listed (\d+) dead letter\(s\) from orders\.commands\.dlq/.exec(stdout);
    expect(Number(count?.[1])).toBe(letters.length);
  });

  it('bad arguments → usage and exit code 2', async () => {
    const bad = [
      [],
      ['list'],
      ['frobnicate', 'orders.commands'],
      ['list', 'orders.commands', '--limit', 'x'],
      ['list', 'orders.commands', '--dry-run'],
      ['replay', 'orders.commands', '--group'],
    ];
    const results = await Promise.all(bad.map(async (args) => ({ args, ...(await runCli(args)) })));
    for (const { args, code, stderr } of results) {
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toMatch(/usage:/);
    }
  });

  it('replay re-sends a dead letter to its source topic once; a second replay does not send it again', async () => {
    const product = await createTestProduct(prisma, { stock: 10, unitPrice: '7.25' });
    const orderId = randomUUID();
    const envelope = newEnvelope(
      CreateOrder.type,
      { orderId, customerId: 'CUST01', items: [{ productId: product.id, quantity: 3 }], shippingAddress: validAddress },
      `e2e-replay-${orderId}`,
    );
    // a harmless letter planted as if order-management had dead-lettered it
    const dlq = deadLetterTopic(Topics.orderCommands);
    const at = await produce(dlq, {
      key: orderId,
      value: JSON.stringify(envelope),
      headers: {
        ...envelopeHeaders(envelope, orderId),
        [Headers.error]: 'planted by the dead-letters e2e test',
        [Headers.sourceTopic]: Topics.orderCommands,
        [Headers.sourcePartition]: '0',
        [Headers.sourceOffset]: '0',
      },
    });
    const from = `${dlq}:${at.partition}:${at.offset}`;
    const replayedLines = (stdout: string) => jsonLines(stdout).filter((line) => line['from'] === from);

    // only in the dead-letter topic so far
    expect((await api().get(`/api/v1/orders/${orderId}`).set(bearer(token))).status).toBe(404);

    const dry = await runCli(['replay', Topics.orderCommands, '--group', replayGroup, '--dry-run'], { viaNpm: true });
    expect(dry.code).toBe(0);
    expect(replayedLines(dry.stdout)).toEqual([
      expect.objectContaining({ action: 'would-replay', to: Topics.orderCommands, key: orderId }),
    ]);
    expect(dry.stdout).toMatch(/dry run: would replay \d+ dead letter\(s\)/);

    const first = await runCli(['replay', Topics.orderCommands, '--group', replayGroup], { viaNpm: true });
    expect({ code: first.code, stderr: first.code === 0 ? '' : first.stderr }).toEqual({ code: 0, stderr: '' });
    // the dry run committed nothing, so the real replay still sends the letter
    expect(replayedLines(first.stdout)).toEqual([
      expect.objectContaining({ action: 'replayed', to: Topics.orderCommands, key: orderId, type: CreateOrder.type }),
    ]);
    const replayedCount = Number(/replayed (\d+) dead letter\(s\)/.exec(first.stdout)?.[1]);
    expect(replayedCount).toBe(jsonLines(first.stdout).length);
    expect(replayedCount).toBeGreaterThanOrEqual(1);

    const order = await waitForDecision(orderId, token);
    expect(order).toMatchObject({ status: 'CONFIRMED', customerId: 'CUST01', totalAmount: '21.75' });

    // the poison letters of this run went along and came straight back, marked as replayed
    const notJson = planted.get(Topics.orderCommands)?.find((p) => p.kind === 'not-json');
    const original = dlqReader.messages.find((m) => m.key === notJson?.marker && m.headers[Headers.sourceOffset] === notJson?.offset);
    if (notJson && original) {
      const again = await dlqReader.waitFor(
        (m) => m.key === notJson.marker && m.headers['dlq-replayed-from'] === `${dlq}:${original.partition}:${original.offset}`,
        'the replayed poison letter to come back to the dlq',
      );
      expect(again.headers[Headers.sourceTopic]).toBe(Topics.orderCommands);
      expect(again.value?.toString('utf8')).toBe(notJson.value);
    }

    const second = await runCli(['replay', Topics.orderCommands, '--group', replayGroup], { viaNpm: true });
    expect(second.code).toBe(0);
    // letters that arrived since (the poison ones bouncing back) may go again; ours must not
    expect(replayedLines(second.stdout)).toEqual([]);
    expect(jsonLines(second.stdout).some((line) => line['key'] === orderId)).toBe(false);

    // and the order exists once, decided once
    await waitForDecision(orderId, token);
    expect(await prisma.order.count({ where: { id: orderId } })).toBe(1);
    expect(await prisma.outboxEvent.count({ where: { aggregateId: orderId } })).toBe(1);
    expect(await prisma.stockReservation.count({ where: { orderId } })).toBe(1);
    expect(await stockOf(prisma, product.id)).toBe(7);
  });
});
