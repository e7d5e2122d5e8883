import { z } from 'zod';
import { Envelope, ReplyPayload, type MessageContract, type RequestContract } from './envelope';
import { messagePayload, readPayload, replyResult, requestPayload, type VersionedPayload } from './versions';

/*
 * The contract test's rules (docs/architecture.md#changing-a-message), pure so a spec and the
 * recording script share them. Every message type has, in `libs/contracts/fixtures/<type>/`, per
 * version its consumers read: `v<N>.json`, one recorded envelope, and `v<N>.schema.json`, the JSON
 * Schema of that version's payload when it was recorded.
 */

export type AnyContract = MessageContract | RequestContract;

/** One recorded file: its name relative to the fixtures directory (`<type>/v<N>.json` or `.schema.json`) and its JSON. */
export interface FixtureFile {
  name: string;
  json: unknown;
}

/** What a fixture of one envelope type holds: a message's payload, a request, or a reply's result. */
export interface FixtureSide {
  payload: VersionedPayload;
  kind: 'message' | 'request' | 'reply';
}

export const FIXTURE_OCCURRED_AT = '2026-01-01T00:00:00.000Z';
const FIXTURE_CORRELATION_ID = 'recorded-fixture';

function isContract(value: unknown): value is AnyContract {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.type === 'string' && typeof v.topic === 'string' && typeof v.version === 'number' && ('payload' in v || 'request' in v);
}

/** Every contract among `values` (a module's exports: contracts, and records or arrays of them), once each. */
export function contractsIn(values: unknown[]): AnyContract[] {
  const found = new Set<AnyContract>();
  for (const value of values) {
    if (isContract(value)) found.add(value);
    else if (typeof value === 'object' && value !== null && !(value instanceof z.ZodType)) {
      for (const inner of Object.values(value)) if (isContract(inner)) found.add(inner);
    }
  }
  return [...found];
}

/** The payloads contracts send, each under its envelope type (a request contract has two: its request and its reply). */
export function fixtureSides(contracts: AnyContract[]): FixtureSide[] {
  return contracts.flatMap((contract): FixtureSide[] =>
    'request' in contract
      ? [
          { payload: requestPayload(contract), kind: 'request' },
          { payload: replyResult(contract), kind: 'reply' },
        ]
      : [{ payload: messagePayload(contract), kind: 'message' }],
  );
}

/** The JSON Schema a version's payload is recorded with: what a consumer of it accepts. */
export function schemaRecordOf(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

/** A recorded envelope of `side` at its current version carrying `value` (a reply: its result). */
export function fixtureEnvelope(side: FixtureSide, value: unknown): Envelope {
  const { type, version } = side.payload;
  return {
    messageId: '00000000-0000-4000-8000-000000000000',
    correlationId: FIXTURE_CORRELATION_ID,
    type,
    version,
    occurredAt: FIXTURE_OCCURRED_AT,
    ...(side.kind === 'request' ? { replyTo: 'gateway.replies' } : {}),
    ...(side.kind === 'reply' ? { inReplyTo: '00000000-0000-4000-8000-000000000001' } : {}),
    payload: side.kind === 'reply' ? { ok: true, result: value } : value,
  };
}

export function fixtureName(type: string, version: number, what: 'sample' | 'schema'): string {
  return `${type}/v${version}${what === 'schema' ? '.schema' : ''}.json`;
}

interface Sample {
  name: string;
  version: number;
  /** the payload (a reply: its result), or undefined when the file is not a recorded envelope */
  value?: unknown;
}

/**
 * What is wrong with the recorded fixtures for these contracts (empty: nothing):
 * (a) every sample reads with the consumers' own `readPayload` (the previous version upgraded, into
 *     the current shape);
 * (b) every type has a sample and a schema record for each version its consumers read (current, and
 *     previous when kept), and none for a version no consumer reads;
 * (c) the current version's sample reads under the previous version's schema (a consumer one deploy
 *     behind reads what producers now write);
 * (d) each version's schema is the one recorded: a change to it in place must be re-recorded on
 *     purpose (a compatible change) or be a new version.
 */
export function fixtureProblems(contracts: AnyContract[], files: FixtureFile[]): string[] {
  const problems: string[] = [];
  const sides = fixtureSides(contracts);
  const samples = new Map<string, Sample[]>();
  const schemas = new Map<string, unknown>();
  for (const file of files) {
    const match = /^([^/]+)\/v([1-9]\d*)(\.schema)?\.json$/.exec(file.name);
    if (!match) {
      problems.push(`${file.name}: not a fixture name (<type>/v<N>.json or <type>/v<N>.schema.json)`);
      continue;
    }
    const [, type, digits, isSchema] = match;
    const version = Number(digits);
    if (!sides.some((side) => side.payload.type === type)) {
      problems.push(`${file.name}: no contract sends ${type} (delete the fixture of a type that is gone)`);
      continue;
    }
    if (isSchema) {
      schemas.set(fixtureName(type, version, 'schema'), file.json);
      continue;
    }
    const list = samples.get(type) ?? [];
    samples.set(type, list);
    const envelope = Envelope.safeParse(file.json);
    if (!envelope.success) {
      problems.push(`${file.name}: not an envelope: ${envelope.error.message}`);
      list.push({ name: file.name, version });
      continue;
    }
    const { type: sentType, version: sent = 1, payload } = envelope.data;
    if (sentType !== type || sent !== version) problems.push(`${file.name}: holds ${sentType} version ${sent}`);
    list.push({ name: file.name, version, value: payload });
  }

  for (const side of sides) {
    const { type, version, schema, previous } = side.payload;
    const readable = previous ? [version - 1, version] : [version];
    const ofType = samples.get(type) ?? [];
    for (const v of readable) {
      if (!ofType.some((sample) => sample.version === v)) {
        problems.push(`${type} has no recorded sample of version ${v} (npm run fixtures -- record ${type} <payload.json>)`);
      }
      const recorded = schemas.get(fixtureName(type, v, 'schema'));
      const now = JSON.stringify(schemaRecordOf(v === version ? schema : (previous?.schema ?? schema)));
      if (recorded === undefined) problems.push(`${type} has no recorded schema of version ${v} (npm run fixtures -- record ${type} ...)`);
      else if (JSON.stringify(recorded) !== now) {
        problems.push(
          `${type} version ${v}: its schema is not the one recorded (${fixtureName(type, v, 'schema')}). ` +
            `If consumers of version ${v}, one deploy behind included, read every message the new schema allows and the recorded ` +
            `samples still read, record it (npm run fixtures -- schema ${type}); otherwise make the change a new version`,
        );
      }
    }
    for (const sample of ofType) {
      if (!readable.includes(sample.version)) {
        problems.push(`${sample.name}: ${type} is at version ${version}; no consumer reads version ${sample.version} (delete it)`);
        continue;
      }
      if (!('value' in sample)) continue;
      const value = valueOf(side, sample, problems);
      if (value === undefined) continue;
      // (a) today's consumers read it
      const read = readPayload(side.payload, sample.version, value);
      if (!read.ok) {
        problems.push(
          `${sample.name} no longer reads: ${read.reason}. A change that recorded messages do not satisfy needs a new version ` +
            `(the old schema kept as previous, with an upgrade)`,
        );
      } else if (sample.version !== version && !schema.safeParse(read.payload).success) {
        problems.push(`${sample.name}: upgraded to version ${version}, it does not match the current schema`);
      }
      // (c) a consumer one version behind reads the current version
      if (previous && sample.version === version) {
        const parsed = previous.schema.safeParse(value);
        if (!parsed.success) {
          problems.push(
            `${sample.name} does not read under version ${version - 1}'s schema, so a consumer one deploy behind could not read ` +
              `what producers now write: ${parsed.error.message}`,
          );
        }
      }
    }
  }
  return [...new Set(problems)];
}

function valueOf(side: FixtureSide, sample: Sample, problems: string[]): unknown {
  if (side.kind !== 'reply') return sample.value;
  const reply = ReplyPayload.safeParse(sample.value);
  if (!reply.success || !reply.data.ok) {
    problems.push(`${sample.name}: a reply's sample is a result ({ok: true, result})`);
    return undefined;
  }
  return reply.data.result;
}
