import { z } from 'zod';

/**
 * Every Kafka message value is one JSON envelope.
 * - `messageId` is unique per message (consumers de-duplicate on it);
 * - `correlationId` follows one user request through every hop (it is the HTTP x-correlation-id);
 * - a request carries `replyTo` (the topic its answer goes to); the answer carries `inReplyTo`
 *   (the request's messageId), which is what the requester matches replies on;
 * - a request also carries `replyBy` (epoch ms): after it the requester no longer waits, so a read
 *   answered later helps nobody (queries skip it, see onQuery in libs/messaging).
 * - `version` is the version of its type's payload the producer wrote (its contract's `version`;
 *   absent in messages written before versions existed, which read as 1). See `messages/versions.ts`.
 */
export const Envelope = z.object({
  messageId: z.uuid(),
  correlationId: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
  version: z.int().min(1).max(1_000_000).optional(),
  occurredAt: z.iso.datetime(),
  replyTo: z.string().min(1).max(249).optional(),
  inReplyTo: z.uuid().optional(),
  replyBy: z.number().int().positive().optional(),
  payload: z.unknown(),
});
export type Envelope<P = unknown> = Omit<z.infer<typeof Envelope>, 'payload'> & { payload: P };

/**
 * Error codes a responder can answer with instead of a result. PRECONDITION_FAILED: the request
 * named a version of its subject that is no longer current (nothing was changed).
 */
export const ReplyErrorCode = z.enum(['BAD_REQUEST', 'NOT_FOUND', 'FORBIDDEN', 'CONFLICT', 'PRECONDITION_FAILED', 'INTERNAL']);
export type ReplyErrorCode = z.infer<typeof ReplyErrorCode>;

/** The payload of every reply: a result, or an error the requester turns into an HTTP status. */
export const ReplyPayload = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: ReplyErrorCode, message: z.string() }) }),
]);
export type ReplyPayload = z.infer<typeof ReplyPayload>;

/**
 * The version before a contract's current one, which consumers still read: its schema, and how a
 * payload of it becomes the current shape (pure, no I/O).
 */
export interface PreviousVersion<S extends z.ZodType = z.ZodType, Old extends z.ZodType = z.ZodType> {
  schema: Old;
  upgrade(payload: z.infer<Old>): z.infer<S>;
}

/**
 * A request/reply pair: what is asked and what comes back, under one version (a change to either
 * bumps it). `previous`: the version before (`version - 1`), each side's old schema and upgrade;
 * a side left out did not change in this version.
 */
export interface RequestContract<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  type: string;
  topic: string;
  /** the version requesters and responders write (1 for a contract that never changed) */
  version: number;
  request: Req;
  reply: Res;
  previous?: { request?: PreviousVersion<Req>; reply?: PreviousVersion<Res> };
}

export function defineRequest<Req extends z.ZodType, Res extends z.ZodType, OldReq extends z.ZodType = Req, OldRes extends z.ZodType = Res>(
  contract: Omit<RequestContract<Req, Res>, 'version' | 'previous'> & {
    version?: number;
    previous?: { request?: PreviousVersion<Req, OldReq>; reply?: PreviousVersion<Res, OldRes> };
  },
): RequestContract<Req, Res> {
  return { ...contract, version: checkedVersion(contract.type, contract.version, contract.previous) } as RequestContract<Req, Res>;
}

/** A one-way message (command or event): its type, topic, current version and payload schema, and the previous version's. */
export interface MessageContract<P extends z.ZodType = z.ZodType> {
  type: string;
  topic: string;
  /** the version producers write (1 for a type that never changed) */
  version: number;
  payload: P;
  /** the version before (`version - 1`), which consumers still read */
  previous?: PreviousVersion<P>;
}

export function defineMessage<P extends z.ZodType, Old extends z.ZodType = P>(
  contract: Omit<MessageContract<P>, 'version' | 'previous'> & { version?: number; previous?: PreviousVersion<P, Old> },
): MessageContract<P> {
  return { ...contract, version: checkedVersion(contract.type, contract.version, contract.previous) } as MessageContract<P>;
}

function checkedVersion(type: string, version = 1, previous: unknown): number {
  if (!Number.isInteger(version) || version < 1) throw new Error(`${type}: version must be an integer from 1, not ${version}`);
  if (previous !== undefined && version < 2) throw new Error(`${type}: version 1 has no previous version`);
  // consumers read the version before the current one too (messages in the log, producers one deploy behind)
  if (previous === undefined && version > 1) throw new Error(`${type}: version ${version} must keep version ${version - 1} as previous`);
  return version;
}
