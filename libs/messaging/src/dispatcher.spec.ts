import { z } from 'zod';
import { Headers, defineMessage, defineRequest, type Envelope } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import type { Delivery } from './dead-letter';
import { MessageDispatcher, type DispatcherOptions } from './dispatcher';
import { newEnvelope } from './envelope';
import { BrokerUnavailableError, type OutgoingMessage, type RawMessage } from './publisher';
import { ReplyError, onMessage, onMessages, onQuery, onRequest, type MessageRoute, type ReplySender } from './routes';

/** Routing, retries and dead letters without Kafka: deliveries in, handler calls and published messages out. */
const Note = defineMessage({ type: 'Note', topic: 'test.notes', payload: z.object({ n: z.int() }) });
const Ask = defineRequest({ type: 'Ask', topic: 'test.notes', request: z.object({ n: z.int() }), reply: z.object({ n: z.int() }) });

class DataRefused extends Error {
  override name = 'DataRefused';
}

/** A publisher that keeps what it is given: replies (and answers) apart from dead letters. */
function recordingPublisher() {
  const sent = { replies: [] as OutgoingMessage[], letters: [] as RawMessage[] };
  const publisher = {
    maxMessageBytes: 900 * 1024,
    publish: async (...messages: OutgoingMessage[]) => void sent.replies.push(...messages),
    sendRaw: async (messages: RawMessage[]) => void sent.letters.push(...messages),
  };
  return { sent, publisher };
}

function harness(routes: (publisher: ReplySender) => MessageRoute[], options: Partial<DispatcherOptions> = {}) {
  const { sent, publisher } = recordingPublisher();
  const dispatcher = new MessageDispatcher({
    routes: routes(publisher),
    publisher,
    logger: createLogger('test', 'error'),
    retryDelayMs: 1,
    maxAttempts: 3,
    maxOutageMs: 50,
    isPermanent: (error) => error instanceof DataRefused,
    isReplyTopic: (topic) => topic === 'test.replies',
    ...options,
  });
  let offset = 0;
  const deliver = (items: (Envelope | string)[], partition = 0) =>
    dispatcher.dispatch(
      items.map(
        (item): Delivery => ({
          topic: 'test.notes',
          partition,
          message: { key: null, value: Buffer.from(typeof item === 'string' ? item : JSON.stringify(item)), offset: String(offset++) },
        }),
      ),
    );
  const reasons = () => sent.letters.map((letter) => String(letter.headers?.[Headers.error]));
  return { dispatcher, sent, deliver, reasons };
}

const note = (n: number, correlationId = `c-${n}`) => newEnvelope(Note.type, { n }, correlationId);
const ask = (n: number, replyTo = 'test.replies') => newEnvelope(Ask.type, { n }, `ask-${n}`, { replyTo });

describe('MessageDispatcher', () => {
  it('hands each message to the route of its type, one partition in order, partitions side by side', async () => {
    const seen: string[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const { deliver } = harness(() => [
      onMessage(Note, async ({ n }, _envelope, delivery) => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push(`${delivery.partition}:${n}`);
        inFlight--;
      }),
    ]);
    await Promise.all([deliver([note(1), note(2), note(3)], 0), deliver([note(10), note(11)], 1)]);
    expect(seen.filter((s) => s.startsWith('0:'))).toEqual(['0:1', '0:2', '0:3']);
    expect(seen.filter((s) => s.startsWith('1:'))).toEqual(['1:10', '1:11']);
    expect(mostInFlight).toBe(2);
  });

  it('with handleConcurrently, handles that many messages of one partition side by side, never more, every one once', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const { deliver } = harness(
      () => [
        onMessage(Note, async ({ n }) => {
          inFlight++;
          mostInFlight = Math.max(mostInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 5));
          seen.push(n);
          inFlight--;
        }),
      ],
      { handleConcurrently: 3 },
    );
    await deliver([1, 2, 3, 4, 5, 6, 7].map((n) => note(n)));
    expect(mostInFlight).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('dead-letters what cannot be dispatched, without calling any route', async () => {
    const handled = jest.fn(async () => undefined);
    const { deliver, reasons, sent } = harness((publisher) => [
      onMessage(Note, handled),
      onRequest(Ask, publisher, async ({ n }) => {
        await handled();
        return { n };
      }),
    ]);
    await deliver(['not json', newEnvelope('NoSuchType', {}, 'x'), ask(1, 'no-such-topic')]);
    expect(reasons()).toEqual([
      expect.stringMatching(/^not a valid envelope/),
      'unknown message type NoSuchType',
      'replyTo "no-such-topic" is not one of the system\'s reply topics',
    ]);
    expect(sent.letters.map((l) => [l.topic, l.headers?.[Headers.sourceOffset]])).toEqual([
      ['test.notes.dlq', '0'],
      ['test.notes.dlq', '1'],
      ['test.notes.dlq', '2'],
    ]);
    expect(handled).not.toHaveBeenCalled();
    expect(sent.replies).toEqual([]);
  });

  it('a query past its replyBy is skipped unanswered (its requester stopped waiting); one in time, or without replyBy, is answered', async () => {
    const now = 1_000_000;
    const answered: number[] = [];
    const { deliver, sent } = harness((publisher) => [
      onQuery(
        Ask,
        publisher,
        async ({ n }) => {
          answered.push(n);
          return { n };
        },
        () => now,
      ),
    ]);
    const query = (n: number, replyBy?: number) => newEnvelope(Ask.type, { n }, `q-${n}`, { replyTo: 'test.replies', replyBy });
    await deliver([query(1, now - 1), query(2, now + 1_000), query(3)]);
    expect(answered).toEqual([2, 3]);
    expect(sent.replies.map((reply) => reply.envelope.payload)).toEqual([
      { ok: true, result: { n: 2 } },
      { ok: true, result: { n: 3 } },
    ]);
    expect(sent.letters).toEqual([]);
  });

  it('retries a failing message maxAttempts times, telling the last attempt so, then dead-letters it and answers a request INTERNAL', async () => {
    const attempts: [number, boolean][] = [];
    const { deliver, reasons, sent } = harness((publisher) => [
      onRequest(Ask, publisher, async () => {
        throw new Error('bug');
      }),
      onMessage(Note, async (_payload, _envelope, { attempt, isLastAttempt }) => {
        attempts.push([attempt, isLastAttempt]);
        throw new Error('bug');
      }),
    ]);
    await deliver([note(1), ask(2)]);
    expect(attempts).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(reasons()).toEqual(['failed 3 times: Error: bug', 'failed 3 times: Error: bug']);
    expect(sent.replies.map((r) => r.envelope.payload)).toEqual([
      { ok: false, error: { code: 'INTERNAL', message: 'the request could not be processed' } },
    ]);
    expect(sent.replies[0].envelope.inReplyTo).toBeDefined();
  });

  it('dead-letters a permanent failure at once, and a deliberate refusal is an answer, not a failure', async () => {
    let calls = 0;
    const { deliver, reasons, sent } = harness((publisher) => [
      onMessage(Note, async () => {
        calls++;
        throw new DataRefused('the database refuses it');
      }),
      onRequest(Ask, publisher, async () => {
        throw new ReplyError('CONFLICT', 'no');
      }),
    ]);
    await deliver([note(1), ask(1)]);
    expect(calls).toBe(1);
    expect(reasons()).toEqual(['DataRefused: the database refuses it']);
    expect(sent.replies.map((r) => r.envelope.payload)).toEqual([{ ok: false, error: { code: 'CONFLICT', message: 'no' } }]);
  });

  it('waits out an outage beyond maxAttempts, and dead-letters once it outlasts maxOutageMs', async () => {
    let calls = 0;
    const { deliver, reasons } = harness(() => [
      onMessage(Note, async ({ n }) => {
        calls++;
        if (n === 1 && calls <= 4) throw new BrokerUnavailableError('away for a moment');
        if (n === 2) throw new BrokerUnavailableError('away for good');
      }),
    ]);
    await deliver([note(1)]);
    expect(calls).toBe(5);
    expect(reasons()).toEqual([]);
    const started = Date.now();
    await deliver([note(2)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(reasons()).toEqual(['a dependency was unavailable for 50 ms: BrokerUnavailableError: away for good']);
  });

  it("calls the route's onDeadLetter for a message whose handling was tried; its failure does not keep the letter back", async () => {
    const recorded: [number, string][] = [];
    const { deliver, reasons } = harness(() => [
      {
        ...onMessage(Note, async () => {
          throw new DataRefused('refused');
        }),
        onDeadLetter: async (envelope, reason) => {
          recorded.push([(envelope.payload as { n: number }).n, reason]);
          if (recorded.length > 1) throw new Error('could not record');
        },
      },
    ]);
    await deliver([note(1), note(2), '{"not":"an envelope"}']);
    expect(recorded).toEqual([
      [1, 'DataRefused: refused'],
      [2, 'DataRefused: refused'],
    ]);
    expect(reasons()).toHaveLength(3);
  });

  describe('a batched route', () => {
    it('gets the messages of every partition at once, before the other types; an invalid payload is dead-lettered alone', async () => {
      const calls: string[] = [];
      const { dispatcher, deliver, reasons } = harness((publisher) => [
        onMessages(Note, async (items) => void calls.push(`batch ${items.map((i) => i.payload.n).join(',')}`)),
        onRequest(Ask, publisher, async ({ n }) => {
          calls.push(`ask ${n}`);
          return { n };
        }),
      ]);
      expect(dispatcher.batches).toBe(true);
      const invalid = newEnvelope(Note.type, { n: 'one' }, 'invalid');
      await deliver([ask(9), note(1), invalid, note(2), note(3)]);
      expect(calls).toEqual(['batch 1,2,3', 'ask 9']);
      expect(reasons()).toEqual([expect.stringMatching(/^invalid Note payload/)]);
    });

    it('takes a batch that keeps failing apart in halves: the poison message is dead-lettered on its own, the rest go through', async () => {
      const batches: number[][] = [];
      const onDeadLetter = jest.fn(async () => undefined);
      const { deliver, reasons } = harness(() => [
        onMessages(
          Note,
          async (items) => {
            const ns = items.map((i) => i.payload.n);
            batches.push(ns);
            if (ns.includes(6)) throw new Error('6 is poison');
          },
          { onDeadLetter },
        ),
      ]);
      await deliver([1, 2, 3, 4, 5, 6, 7, 8].map((n) => note(n)));
      const handled = batches
        .filter((ns) => !ns.includes(6))
        .flat()
        .sort();
      expect(handled).toEqual([1, 2, 3, 4, 5, 7, 8]);
      // each size tried twice before it is split: 8, 4 (5-8), 2 (5-6), then 6 alone through the single-message fallback 3 times
      expect(batches.filter((ns) => ns.includes(6)).map((ns) => ns.length)).toEqual([8, 8, 4, 4, 2, 2, 1, 1, 1]);
      expect(reasons()).toEqual(['failed 3 times: Error: 6 is poison']);
      expect(onDeadLetter).toHaveBeenCalledTimes(1);
    });

    it('dead-letters a permanent failure found by splitting at once, and every message of a batch whose outage outlasts maxOutageMs', async () => {
      const { deliver, reasons } = harness(() => [
        onMessages(Note, async (items) => {
          if (items.some((i) => i.payload.n === 99)) throw new BrokerUnavailableError('away');
          if (items.some((i) => i.payload.n === 3)) throw new DataRefused('3 is refused');
        }),
      ]);
      await deliver([note(1), note(2), note(3), note(4)]);
      expect(reasons()).toEqual(['DataRefused: 3 is refused']);
      await deliver([note(98), note(99)]);
      expect(reasons().slice(1)).toEqual([
        'a dependency was unavailable for 50 ms: BrokerUnavailableError: away',
        'a dependency was unavailable for 50 ms: BrokerUnavailableError: away',
      ]);
    });
  });

  describe('versions', () => {
    /** Note at version 2: `unit` added; version 1 notes counted pieces. Ask at version 2: its reply says `of` what. */
    const NoteV2 = defineMessage({
      type: 'Note',
      topic: 'test.notes',
      version: 2,
      payload: z.object({ n: z.int(), unit: z.string() }),
      previous: { schema: z.object({ n: z.int() }), upgrade: (old) => ({ ...old, unit: 'piece' }) },
    });
    const AskV2 = defineRequest({
      type: 'Ask',
      topic: 'test.notes',
      version: 2,
      request: z.object({ n: z.int() }),
      reply: z.object({ n: z.int(), of: z.string() }),
      previous: { reply: { schema: z.object({ n: z.int() }), upgrade: (old) => ({ ...old, of: 'piece' }) } },
    });
    const noteOf = (version: number | undefined, payload: object) => newEnvelope({ type: 'Note', version }, payload, `v${version}`);

    it('hands on the current version as it is, the previous upgraded, the next read as the current; others are dead-lettered at once, naming the version', async () => {
      const seen: unknown[] = [];
      let calls = 0;
      const { deliver, reasons } = harness(() => [
        onMessage(NoteV2, async (payload) => {
          calls++;
          seen.push(payload);
        }),
      ]);
      await deliver([
        noteOf(2, { n: 1, unit: 'kg' }),
        noteOf(1, { n: 2 }),
        noteOf(undefined, { n: 3 }),
        noteOf(3, { n: 4, unit: 'l', more: true }),
        noteOf(4, { n: 5, unit: 'kg' }),
      ]);
      expect(seen).toEqual([
        { n: 1, unit: 'kg' },
        { n: 2, unit: 'piece' },
        { n: 3, unit: 'piece' },
        { n: 4, unit: 'l' },
      ]);
      expect(calls).toBe(4);
      expect(reasons()).toEqual(['PoisonMessageError: unsupported version 4 of Note: this consumer reads versions 1 to 3']);
    });

    it('a batched route: an unsupported version is dead-lettered alone, the previous version is upgraded in the batch', async () => {
      const batches: unknown[][] = [];
      const { deliver, reasons } = harness(() => [onMessages(NoteV2, async (items) => void batches.push(items.map((i) => i.payload)))]);
      const unsupported = newEnvelope({ type: 'Note', version: 9 }, { n: 9, unit: 'kg' }, 'v9');
      await deliver([noteOf(2, { n: 1, unit: 'kg' }), unsupported, noteOf(1, { n: 2 })]);
      expect(batches).toEqual([
        [
          { n: 1, unit: 'kg' },
          { n: 2, unit: 'piece' },
        ],
      ]);
      expect(reasons()).toEqual(['unsupported version 9 of Note: this consumer reads versions 1 to 3']);
    });

    it('a request of the previous version is answered; one of an unsupported version BAD_REQUEST naming it; replies carry the contract version', async () => {
      const { deliver, reasons, sent } = harness((publisher) => [onRequest(AskV2, publisher, async ({ n }) => ({ n, of: 'kg' }))]);
      await deliver([
        newEnvelope({ type: 'Ask', version: 1 }, { n: 1 }, 'old', { replyTo: 'test.replies' }),
        newEnvelope({ type: 'Ask', version: 5 }, { n: 5 }, 'future', { replyTo: 'test.replies' }),
      ]);
      expect(sent.replies.map((r) => [r.envelope.type, r.envelope.version, r.envelope.payload])).toEqual([
        ['AskReply', 2, { ok: true, result: { n: 1, of: 'kg' } }],
        [
          'AskReply',
          2,
          { ok: false, error: { code: 'BAD_REQUEST', message: 'unsupported version 5 of Ask: this consumer reads versions 1 to 3' } },
        ],
        // then, as every dead-lettered request, INTERNAL (which the requester, answered already, ignores)
        ['AskReply', 2, { ok: false, error: { code: 'INTERNAL', message: 'the request could not be processed' } }],
      ]);
      expect(reasons()).toEqual(['PoisonMessageError: unsupported version 5 of Ask: this consumer reads versions 1 to 3']);
    });

    it('the INTERNAL answer to a request that ends in the dead-letter topic carries the contract version too', async () => {
      const { deliver, sent } = harness((publisher) => [
        onRequest(AskV2, publisher, async () => {
          throw new DataRefused('no');
        }),
      ]);
      await deliver([newEnvelope(AskV2, { n: 1 }, 'x', { replyTo: 'test.replies' })]);
      expect(sent.replies.map((r) => [r.envelope.version, (r.envelope.payload as { ok: boolean }).ok])).toEqual([[2, false]]);
    });
  });
});
