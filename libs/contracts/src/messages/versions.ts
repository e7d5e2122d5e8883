import type { z } from 'zod';
import type { MessageContract, PreviousVersion, RequestContract } from './envelope';

/*
 * How a consumer reads a payload by its envelope's version (docs/architecture.md#changing-a-message).
 * With a contract at version N:
 * - N: parsed with the current schema;
 * - N - 1 (when the contract keeps it as `previous`): parsed with that schema, then upgraded to the
 *   current shape;
 * - N + 1: written by a producer one deploy ahead; parsed with the current schema, which the
 *   fixtures spec guarantees reads it (every version's sample parses under the version before's schema);
 * - anything else: unsupported, never guessed at (the consumer dead-letters it, naming the version).
 * Absent (written before envelopes had versions) reads as 1. One schema parse per message.
 */

/** One versioned payload: a message's payload, a request, or a reply's result, under the envelope type it travels as. */
export interface VersionedPayload<S extends z.ZodType = z.ZodType> {
  type: string;
  version: number;
  schema: S;
  previous?: PreviousVersion<S>;
}

export type PayloadRead<T> = { ok: true; payload: T } | { ok: false; reason: string };

/** The envelope type of the reply to a request type. */
export function replyType(requestType: string): string {
  return `${requestType}Reply`;
}

export function messagePayload<P extends z.ZodType>(contract: MessageContract<P>): VersionedPayload<P> {
  return { type: contract.type, version: contract.version, schema: contract.payload, previous: contract.previous };
}

export function requestPayload<Req extends z.ZodType>(contract: RequestContract<Req>): VersionedPayload<Req> {
  const { previous } = contract;
  return {
    type: contract.type,
    version: contract.version,
    schema: contract.request,
    previous: previous && (previous.request ?? unchanged(contract.request)),
  };
}

/** The `result` of a reply (`{ok: true, result}`); an error reply reads the same at every version. */
export function replyResult<Res extends z.ZodType>(contract: RequestContract<z.ZodType, Res>): VersionedPayload<Res> {
  const { previous } = contract;
  return {
    type: replyType(contract.type),
    version: contract.version,
    schema: contract.reply,
    previous: previous && (previous.reply ?? unchanged(contract.reply)),
  };
}

/** A side of a request contract that a version left as it was. */
function unchanged<S extends z.ZodType>(schema: S): PreviousVersion<S> {
  return { schema, upgrade: (payload) => payload as z.infer<S> };
}

/** The versions a consumer of `payload` reads, lowest first. */
export function readableVersions(payload: Pick<VersionedPayload, 'version' | 'previous'>): [number, number] {
  return [payload.previous ? payload.version - 1 : payload.version, payload.version + 1];
}

/** Reads `value`, sent as `version` (absent: 1), as the current shape of `payload`, or says why it cannot. */
export function readPayload<S extends z.ZodType>(
  payload: VersionedPayload<S>,
  version: number | undefined,
  value: unknown,
): PayloadRead<z.infer<S>> {
  const sent = version ?? 1;
  if (sent === payload.version || sent === payload.version + 1) {
    const parsed = payload.schema.safeParse(value);
    if (parsed.success) return { ok: true, payload: parsed.data };
    const which = sent === payload.version ? '' : ` (version ${sent}, read as version ${payload.version})`;
    return { ok: false, reason: `invalid ${payload.type} payload${which}: ${parsed.error.message}` };
  }
  if (sent === payload.version - 1 && payload.previous) {
    const parsed = payload.previous.schema.safeParse(value);
    if (!parsed.success) return { ok: false, reason: `invalid ${payload.type} payload (version ${sent}): ${parsed.error.message}` };
    try {
      return { ok: true, payload: payload.previous.upgrade(parsed.data) };
    } catch (error) {
      return { ok: false, reason: `${payload.type} version ${sent} could not be upgraded: ${(error as Error).message}` };
    }
  }
  const [lowest, highest] = readableVersions(payload);
  return { ok: false, reason: `unsupported version ${sent} of ${payload.type}: this consumer reads versions ${lowest} to ${highest}` };
}
