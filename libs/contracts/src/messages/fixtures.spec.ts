import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import * as contracts from '../index';
import { Topics } from '../topics';
import { defineMessage, defineRequest } from './envelope';
import {
  contractsIn,
  fixtureEnvelope,
  fixtureName,
  fixtureProblems,
  fixtureSides,
  schemaRecordOf,
  type AnyContract,
  type FixtureFile,
} from './fixtures';
import { OrderEventTypes } from './order-messages';

// The contract test: every message type's recorded samples (libs/contracts/fixtures, recorded
// with `npm run fixtures -- record`) against today's contracts. Rules: fixtures.ts, and
// docs/architecture.md#changing-a-message.
const FIXTURES = path.resolve(__dirname, '../../fixtures');

function recordedFiles(): FixtureFile[] {
  return readdirSync(FIXTURES, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ name: name.split(path.sep).join('/'), json: JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) }));
}

describe('recorded message samples', () => {
  const all = contractsIn(Object.values(contracts));

  it('finds every contract the library exports (order events, both CreateOrder contracts, the replies)', () => {
    const types = new Set(fixtureSides(all).map((side) => side.payload.type));
    for (const type of [...OrderEventTypes, 'CreateOrder', 'CreateOrderReply', 'GetCustomersReply', 'ReleaseReservations', 'LowStock']) {
      expect(types).toContain(type);
    }
    expect(all).toContain(contracts.CreateOrder);
    expect(all).toContain(contracts.CreateOrderRequest);
  });

  it('every type has a sample and a schema of each version its consumers read, and they read', () => {
    expect(fixtureProblems(all, recordedFiles())).toEqual([]);
  });
});

describe('fixtureProblems: what the contract test catches', () => {
  const V1 = z.object({ n: z.int() });
  const v1 = defineMessage({ type: 'Note', topic: Topics.orderCommands, payload: V1 });

  /** The files `npm run fixtures -- record` writes for `contract` at its version with `value`. */
  function recorded(contract: AnyContract, value: unknown, kind = 0): FixtureFile[] {
    const side = fixtureSides([contract])[kind];
    const { type, version, schema } = side.payload;
    return [
      { name: fixtureName(type, version, 'sample'), json: fixtureEnvelope(side, value) },
      { name: fixtureName(type, version, 'schema'), json: schemaRecordOf(schema) },
    ];
  }
  const recordedV1 = recorded(v1, { n: 1 });

  it('nothing when the samples match', () => {
    expect(fixtureProblems([v1], recordedV1)).toEqual([]);
  });

  it('a type without a sample of its current version (a new type, or a new version)', () => {
    expect(fixtureProblems([v1], [])).toEqual([
      'Note has no recorded sample of version 1 (npm run fixtures -- record Note <payload.json>)',
      'Note has no recorded schema of version 1 (npm run fixtures -- record Note ...)',
    ]);
  });

  it('a change in place that recorded messages do not satisfy (a new required field)', () => {
    const changed = defineMessage({ type: 'Note', topic: Topics.orderCommands, payload: V1.extend({ unit: z.string() }) });
    const problems = fixtureProblems([changed], recordedV1);
    expect(problems).toContainEqual(expect.stringMatching(/^Note\/v1\.json no longer reads: invalid Note payload: .*needs a new version/s));
    expect(problems).toContainEqual(expect.stringMatching(/^Note version 1: its schema is not the one recorded/));
  });

  it('a change in place the sample does not show (loosening: a consumer one deploy behind refuses what it now lets through)', () => {
    const loosened = defineMessage({ type: 'Note', topic: Topics.orderCommands, payload: z.object({ n: z.number() }) });
    expect(fixtureProblems([loosened], recordedV1)).toEqual([expect.stringMatching(/^Note version 1: its schema is not the one recorded/)]);
  });

  const V2 = z.object({ n: z.int(), unit: z.string() });
  const v2 = defineMessage({
    type: 'Note',
    topic: Topics.orderCommands,
    version: 2,
    payload: V2,
    previous: { schema: V1, upgrade: (old) => ({ ...old, unit: 'piece' }) },
  });

  it('a new version: its sample read by a consumer one version behind, the previous one upgraded', () => {
    expect(fixtureProblems([v2], [...recordedV1, ...recorded(v2, { n: 2, unit: 'kg' })])).toEqual([]);
    expect(fixtureProblems([v2], recordedV1)).toEqual([
      'Note has no recorded sample of version 2 (npm run fixtures -- record Note <payload.json>)',
      'Note has no recorded schema of version 2 (npm run fixtures -- record Note ...)',
    ]);
  });

  it('a new version a consumer one version behind cannot read (a required field dropped)', () => {
    const dropped = defineMessage({
      type: 'Note',
      topic: Topics.orderCommands,
      version: 2,
      payload: z.object({ count: z.int() }),
      previous: { schema: V1, upgrade: (old) => ({ count: old.n }) },
    });
    expect(fixtureProblems([dropped], [...recordedV1, ...recorded(dropped, { count: 2 })])).toEqual([
      expect.stringMatching(/^Note\/v2\.json does not read under version 1's schema, so a consumer one deploy behind could not read/),
    ]);
  });

  it('an upgrade that does not make the current shape, a previous schema that is not the recorded one', () => {
    const wrongUpgrade = defineMessage({
      type: 'Note',
      topic: Topics.orderCommands,
      version: 2,
      payload: V2,
      previous: { schema: V1, upgrade: (old) => old as z.infer<typeof V2> },
    });
    expect(fixtureProblems([wrongUpgrade], [...recordedV1, ...recorded(wrongUpgrade, { n: 2, unit: 'kg' })])).toEqual([
      'Note/v1.json: upgraded to version 2, it does not match the current schema',
    ]);
    const wrongPrevious = defineMessage({
      type: 'Note',
      topic: Topics.orderCommands,
      version: 2,
      payload: V2,
      previous: { schema: z.object({ n: z.number() }), upgrade: (old) => ({ n: Math.round(old.n), unit: 'piece' }) },
    });
    expect(fixtureProblems([wrongPrevious], [...recordedV1, ...recorded(wrongPrevious, { n: 2, unit: 'kg' })])).toEqual([
      expect.stringMatching(/^Note version 1: its schema is not the one recorded/),
    ]);
  });

  it('samples of versions no consumer reads, of types nobody sends, and files that are not samples', () => {
    const v3 = defineMessage({
      type: 'Note',
      topic: Topics.orderCommands,
      version: 3,
      payload: V2,
      previous: { schema: V2, upgrade: (p) => p },
    });
    const files = [...recordedV1, ...recorded(v2, { n: 2, unit: 'kg' }), ...recorded(v3, { n: 3, unit: 'kg' })];
    expect(fixtureProblems([v3], files)).toEqual(['Note/v1.json: Note is at version 3; no consumer reads version 1 (delete it)']);
    expect(fixtureProblems([v1], [...recordedV1, { name: 'Gone/v1.json', json: {} }, { name: 'Note/latest.json', json: {} }])).toEqual([
      'Gone/v1.json: no contract sends Gone (delete the fixture of a type that is gone)',
      'Note/latest.json: not a fixture name (<type>/v<N>.json or <type>/v<N>.schema.json)',
    ]);
    const mislabelled = [{ ...recordedV1[0], json: { ...(recordedV1[0].json as object), version: 2 } }, recordedV1[1]];
    expect(fixtureProblems([v1], mislabelled)).toContain('Note/v1.json: holds Note version 2');
  });

  it('a request contract: its request and its reply each have samples; a reply sample is a result', () => {
    const Ask = defineRequest({ type: 'Ask', topic: Topics.orderCommands, request: V1, reply: z.object({ answer: z.int() }) });
    const files = [...recorded(Ask, { n: 1 }, 0), ...recorded(Ask, { answer: 2 }, 1)];
    expect(files.map((f) => f.name)).toEqual(['Ask/v1.json', 'Ask/v1.schema.json', 'AskReply/v1.json', 'AskReply/v1.schema.json']);
    expect(fixtureProblems([Ask], files)).toEqual([]);
    const failed = { ...(files[2].json as object), payload: { ok: false, error: { code: 'INTERNAL', message: 'x' } } };
    expect(fixtureProblems([Ask], [...files.slice(0, 2), { name: 'AskReply/v1.json', json: failed }, files[3]])).toEqual([
      "AskReply/v1.json: a reply's sample is a result ({ok: true, result})",
    ]);
  });
});
