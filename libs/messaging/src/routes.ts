import type { z } from 'zod';
import type { Envelope, MessageContract, ReplyErrorCode, ReplyPayload, RequestContract } from '@orderline/contracts';
import { newEnvelope } from './envelope';
import type { Publisher } from './publisher';
import type { BatchRoute } from './consumer';

/** Where a consumed message came from, and whether this is the last try before the dead-letter topic. */
export interface DeliveryContext {
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
  isLastAttempt: boolean;
}

/** How a consumer handles one message type. */
export interface MessageRoute {
  type: string;
  handle(envelope: Envelope, delivery: DeliveryContext): Promise<void>;
}

/** The message can never be processed (bad payload, unknown type): dead-letter it at once, no retries. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

/** A responder's deliberate "no": travels back to the requester as `{ok:false, error}`. */
export class ReplyError extends Error {
  override name = 'ReplyError';
  constructor(
    readonly code: ReplyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function parsePayload<S extends z.ZodType>(schema: S, envelope: Envelope): z.infer<S> {
  const parsed = schema.safeParse(envelope.payload);
  if (!parsed.success) {
    throw new PoisonMessageError(`invalid ${envelope.type} payload: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** Answers a request: publishes `payload` to its `replyTo` topic with `inReplyTo` = its messageId. */
export async function sendReply(publisher: Publisher, request: Envelope, payload: ReplyPayload): Promise<void> {
  if (!request.replyTo) return;
  await publisher.publish({
    topic: request.replyTo,
    key: request.messageId,
    envelope: newEnvelope(`${request.type}Reply`, payload, request.correlationId, { inReplyTo: request.messageId }),
  });
}

/**
 * Batch route for a one-way message: `handle` gets many valid payloads at once (gathered across
 * partitions); a message with an invalid payload is dead-lettered on its own.
 */
export function onMessages<P extends z.ZodType>(
  contract: MessageContract<P>,
  handle: (items: { payload: z.infer<P>; envelope: Envelope }[]) => Promise<void>,
): BatchRoute {
  return {
    type: contract.type,
    reject: (envelope) => {
      const parsed = contract.payload.safeParse(envelope.payload);
      return parsed.success ? undefined : `invalid ${envelope.type} payload: ${parsed.error.message}`;
    },
    handleBatch: (envelopes) =>
      handle(envelopes.map((envelope) => ({ payload: contract.payload.parse(envelope.payload), envelope }))),
  };
}

/** Route for a one-way message (command or event). */
export function onMessage<P extends z.ZodType>(
  contract: MessageContract<P>,
  handle: (payload: z.infer<P>, envelope: Envelope, delivery: DeliveryContext) => Promise<void>,
): MessageRoute {
  return {
    type: contract.type,
    handle: (envelope, delivery) => handle(parsePayload(contract.payload, envelope), envelope, delivery),
  };
}

/**
 * Route for a request: validates it, runs `answer`, and publishes the reply to the request's
 * `replyTo` topic with `inReplyTo` = the request's messageId. A ReplyError becomes an error reply;
 * any other failure is retried by the consumer, and a request that ends in the dead-letter topic
 * is answered INTERNAL there.
 */
export function onRequest<Req extends z.ZodType, Res extends z.ZodType>(
  contract: RequestContract<Req, Res>,
  publisher: Publisher,
  answer: (request: z.infer<Req>, envelope: Envelope) => Promise<z.infer<Res>>,
): MessageRoute {
  return {
    type: contract.type,
    async handle(envelope) {
      if (!envelope.replyTo) throw new PoisonMessageError(`${contract.type} request without replyTo`);
      const send = (payload: ReplyPayload) => sendReply(publisher, envelope, payload);
      let request: z.infer<Req>;
      try {
        request = parsePayload(contract.request, envelope);
      } catch (error) {
        await send({ ok: false, error: { code: 'BAD_REQUEST', message: (error as Error).message } });
        throw error;
      }
      let result: z.infer<Res>;
      try {
        result = await answer(request, envelope);
      } catch (error) {
        if (error instanceof ReplyError) {
          await send({ ok: false, error: { code: error.code, message: error.message } });
          return;
        }
        throw error; // retried; if it ends in the dead-letter topic, the consumer answers INTERNAL
      }
      await send({ ok: true, result });
    },
  };
}
