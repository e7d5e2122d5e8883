import { z } from 'zod';

/**
 * Every Kafka message value is one JSON envelope.
 * - `messageId` is unique per message (consumers de-duplicate on it);
 * - `correlationId` follows one user request through every hop (it is the HTTP x-correlation-id);
 * - a request carries `replyTo` (the topic its answer goes to); the answer carries `inReplyTo`
 *   (the request's messageId), which is what the requester matches replies on;
 * - a request also carries `replyBy` (epoch ms): after it the requester no longer waits, so a read
 *   answered later helps nobody (queries skip it, see onQuery in libs/messaging).
 */
export const Envelope = z.object({
  messageId: z.uuid(),
  correlationId: z.string().min(1).max(200),
  type: z.string().min(1).max(100),
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

/** A request/reply pair: what is asked and what comes back. */
export interface RequestContract<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  type: string;
  topic: string;
  request: Req;
  reply: Res;
}

export function defineRequest<Req extends z.ZodType, Res extends z.ZodType>(
  contract: RequestContract<Req, Res>,
): RequestContract<Req, Res> {
  return contract;
}

/** A one-way message (command or event): its type, topic and payload schema. */
export interface MessageContract<P extends z.ZodType = z.ZodType> {
  type: string;
  topic: string;
  payload: P;
}

export function defineMessage<P extends z.ZodType>(contract: MessageContract<P>): MessageContract<P> {
  return contract;
}
