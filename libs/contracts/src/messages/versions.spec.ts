import { z } from 'zod';
import { Topics } from '../topics';
import { defineMessage, defineRequest } from './envelope';
import { messagePayload, readPayload, readableVersions, replyResult, requestPayload } from './versions';

const V1 = z.object({ n: z.int() });
const Note = defineMessage({ type: 'Note', topic: Topics.orderCommands, payload: V1 });
/** version 2 adds a unit; version 1's notes were counts of pieces */
const NoteV2 = defineMessage({
  type: 'Note',
  topic: Topics.orderCommands,
  version: 2,
  payload: z.object({ n: z.int(), unit: z.string() }),
  previous: { schema: V1, upgrade: (old) => ({ ...old, unit: 'piece' }) },
});

describe('readPayload: a payload read by its envelope version', () => {
  it('reads the current version as it is, and an envelope without a version as version 1', () => {
    expect(readPayload(messagePayload(Note), 1, { n: 1 })).toEqual({ ok: true, payload: { n: 1 } });
    expect(readPayload(messagePayload(Note), undefined, { n: 1 })).toEqual({ ok: true, payload: { n: 1 } });
    expect(readPayload(messagePayload(NoteV2), 2, { n: 1, unit: 'kg' })).toEqual({ ok: true, payload: { n: 1, unit: 'kg' } });
  });

  it('upgrades the previous version to the current shape', () => {
    expect(readPayload(messagePayload(NoteV2), 1, { n: 3 })).toEqual({ ok: true, payload: { n: 3, unit: 'piece' } });
    expect(readPayload(messagePayload(NoteV2), undefined, { n: 3 })).toEqual({ ok: true, payload: { n: 3, unit: 'piece' } });
  });

  it('reads the next version (a producer one deploy ahead) with the current schema', () => {
    expect(readPayload(messagePayload(Note), 2, { n: 1, unit: 'kg' })).toEqual({ ok: true, payload: { n: 1 } });
  });

  it('refuses any other version, naming it and the versions it reads', () => {
    expect(readPayload(messagePayload(Note), 3, { n: 1 })).toEqual({
      ok: false,
      reason: 'unsupported version 3 of Note: this consumer reads versions 1 to 2',
    });
    const NoteV3 = defineMessage({
      type: 'Note',
      topic: Topics.orderCommands,
      version: 3,
      payload: V1,
      previous: { schema: V1, upgrade: (p) => p },
    });
    expect(readPayload(messagePayload(NoteV3), 1, { n: 1 })).toEqual({
      ok: false,
      reason: 'unsupported version 1 of Note: this consumer reads versions 2 to 4',
    });
    expect(readableVersions(messagePayload(NoteV2))).toEqual([1, 3]);
  });

  it('says which version an invalid payload came as, and when an upgrade fails', () => {
    expect(readPayload(messagePayload(NoteV2), 2, { n: 'one' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^invalid Note payload: /),
    });
    expect(readPayload(messagePayload(NoteV2), 1, { n: 'one' })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^invalid Note payload \(version 1\): /),
    });
    expect(readPayload(messagePayload(Note), 2, {})).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^invalid Note payload \(version 2, read as version 1\)/),
    });
    const Broken = defineMessage({
      type: 'Note',
      topic: Topics.orderCommands,
      version: 2,
      payload: z.object({ n: z.int() }),
      previous: {
        schema: V1,
        upgrade: () => {
          throw new Error('no');
        },
      },
    });
    expect(readPayload(messagePayload(Broken), 1, { n: 1 })).toEqual({ ok: false, reason: 'Note version 1 could not be upgraded: no' });
  });

  it('reads both sides of a request contract; a side a version left alone reads its previous version as it is', () => {
    const Ask = defineRequest({
      type: 'Ask',
      topic: Topics.orderCommands,
      version: 2,
      request: z.object({ n: z.int(), why: z.string() }),
      reply: z.object({ answer: z.int() }),
      previous: { request: { schema: V1, upgrade: (old) => ({ ...old, why: 'asked before reasons' }) } },
    });
    expect(readPayload(requestPayload(Ask), 1, { n: 1 })).toEqual({ ok: true, payload: { n: 1, why: 'asked before reasons' } });
    expect(replyResult(Ask).type).toBe('AskReply');
    expect(readPayload(replyResult(Ask), 1, { answer: 2 })).toEqual({ ok: true, payload: { answer: 2 } });
  });

  it('refuses a contract version that cannot be', () => {
    expect(() => defineMessage({ type: 'X', topic: 't', version: 0, payload: V1 })).toThrow(/version must be an integer from 1/);
    expect(() => defineMessage({ type: 'X', topic: 't', payload: V1, previous: { schema: V1, upgrade: (p) => p } })).toThrow(/no previous/);
    expect(() => defineMessage({ type: 'X', topic: 't', version: 2, payload: V1 })).toThrow('X: version 2 must keep version 1 as previous');
  });
});
