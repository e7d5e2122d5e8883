import type { z } from 'zod';
import type { Envelope, MessageContract, ReplyErrorCode, ReplyPayload, RequestContract } from '@orderline/contracts';
import { newEnvelope } from './envelope';
import { expiredQueries } from './metrics';
import type { Publisher } from './publisher';

/** Where a consumed message came from, and whether this is the last try before the dead-letter topic. */
export interface DeliveryContext {
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
  isLastAttempt: boolean;
}

/**
 * How a consumer handles one message type. `handle` takes one message. A route with `batch` has
 * its messages gathered across partitions and handled many at once; `handle` is then the fallback
 * that takes a message on its own once its batch kept failing (which isolates a poison message).
 */
export interface MessageRoute {
  type: string;
  handle(envelope: Envelope, delivery: DeliveryContext): Promise<void>;
  batch?: BatchHandler;
  /**
   * Called for a message of this type about to be dead-lettered after its handling was tried: e.g.
   * to record the failure where the client can read it. Resolves true when it has answered the
   * request itself (else a request is answered INTERNAL). Its own failure is logged and does not
   * keep the message from the dead-letter topic.
   */
  onDeadLetter?(envelope: Envelope, reason: string): Promise<boolean | void>;
}

/** Handles many messages of one type at once. Must be idempotent: a batch that fails is tried again, in halves. */
export interface BatchHandler {
  /** why this message can never be handled (its payload is invalid), or undefined when it can */
  reject(envelope: Envelope): string | undefined;
  handleMany(envelopes: Envelope[]): Promise<void>;
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

/** What answering a request takes: publishing. */
export type ReplySender = Pick<Publisher, 'publish'>;

/** Answers a request: publishes `payload` to its `replyTo` topic with `inReplyTo` = its messageId. */
export async function sendReply(publisher: ReplySender, request: Envelope, payload: ReplyPayload): Promise<void> {
  if (!request.replyTo) return;
  await publisher.publish({
    topic: request.replyTo,
    key: request.messageId,
    envelope: newEnvelope(`${request.type}Reply`, payload, request.correlationId, { inReplyTo: request.messageId }),
  });
}

/**
 * Batch route for a one-way message: `handle` gets many valid payloads at once (gathered across
 * partitions), or one when a failing batch is taken apart; a message with an invalid payload is
 * dead-lettered on its own.
 */
export function onMessages<P extends z.ZodType>(
  contract: MessageContract<P>,
  handle: (items: { payload: z.infer<P>; envelope: Envelope }[]) => Promise<void>,
  options: Pick<MessageRoute, 'onDeadLetter'> = {},
): MessageRoute {
  return {
    type: contract.type,
    handle: (envelope) => handle([{ payload: parsePayload(contract.payload, envelope), envelope }]),
    batch: {
      reject: (envelope) => {
        const parsed = contract.payload.safeParse(envelope.payload);
        return parsed.success ? undefined : `invalid ${envelope.type} payload: ${parsed.error.message}`;
      },
      handleMany: (envelopes) => handle(envelopes.map((envelope) => ({ payload: contract.payload.parse(envelope.payload), envelope }))),
    },
    ...options,
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
  publisher: ReplySender,
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

/**
 * Route for a read-only request (a query): as onRequest, except that a request whose requester has
 * stopped waiting (past its `replyBy`) is skipped unanswered. After an outage or a pause the
 * consumer would otherwise answer its whole backlog of abandoned reads first, and every fresh read
 * would wait behind them and time out too. Never for a request that changes anything: that one must
 * run even late, so a retry finds its effect.
 */
export function onQuery<Req extends z.ZodType, Res extends z.ZodType>(
  contract: RequestContract<Req, Res>,
  publisher: ReplySender,
  answer: (request: z.infer<Req>, envelope: Envelope) => Promise<z.infer<Res>>,
  now: () => number = Date.now,
): MessageRoute {
  const route = onRequest(contract, publisher, answer);
  return {
    ...route,
    async handle(envelope, ...rest) {
      if (envelope.replyBy !== undefined && now() > envelope.replyBy) {
        expiredQueries.inc({ type: contract.type });
        return;
      }
      return route.handle(envelope, ...rest);
    },
  };
}
