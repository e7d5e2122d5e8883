import type { z } from 'zod';
import {
  messagePayload,
  readPayload,
  replyType,
  requestPayload,
  type Envelope,
  type MessageContract,
  type ReplyErrorCode,
  type ReplyPayload,
  type RequestContract,
  type VersionedPayload,
} from '@orderline/contracts';
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
  /** for a request: the version its replies are written as (its contract's) */
  replyVersion?: number;
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

/** The message can never be processed (bad payload, unknown type, unsupported version): dead-letter it at once, no retries. */
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

/** The payload as its contract's current shape, whichever supported version it was sent as (`readPayload`). */
function parsePayload<S extends z.ZodType>(payload: VersionedPayload<S>, envelope: Envelope): z.infer<S> {
  const read = readPayload(payload, envelope.version, envelope.payload);
  if (!read.ok) throw new PoisonMessageError(read.reason);
  return read.payload;
}

/** What answering a request takes: publishing. */
export type ReplySender = Pick<Publisher, 'publish'>;

/**
 * Answers a request: publishes `payload` to its `replyTo` topic with `inReplyTo` = its messageId,
 * as `version` (the request contract's; an error reply reads the same at every version).
 */
export async function sendReply(publisher: ReplySender, request: Envelope, payload: ReplyPayload, version?: number): Promise<void> {
  if (!request.replyTo) return;
  await publisher.publish({
    topic: request.replyTo,
    key: request.messageId,
    envelope: newEnvelope({ type: replyType(request.type), version }, payload, request.correlationId, { inReplyTo: request.messageId }),
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
  const versioned = messagePayload(contract);
  // what `reject` read, so each payload is parsed once, however often its batch is tried or split
  const read = new WeakMap<Envelope, z.infer<P>>();
  const payloadOf = (envelope: Envelope) => (read.has(envelope) ? (read.get(envelope) as z.infer<P>) : parsePayload(versioned, envelope));
  return {
    type: contract.type,
    handle: (envelope) => handle([{ payload: payloadOf(envelope), envelope }]),
    batch: {
      reject: (envelope) => {
        const result = readPayload(versioned, envelope.version, envelope.payload);
        if (!result.ok) return result.reason;
        read.set(envelope, result.payload);
        return undefined;
      },
      handleMany: (envelopes) => handle(envelopes.map((envelope) => ({ payload: payloadOf(envelope), envelope }))),
    },
    ...options,
  };
}

/** Route for a one-way message (command or event). */
export function onMessage<P extends z.ZodType>(
  contract: MessageContract<P>,
  handle: (payload: z.infer<P>, envelope: Envelope, delivery: DeliveryContext) => Promise<void>,
): MessageRoute {
  const versioned = messagePayload(contract);
  return {
    type: contract.type,
    handle: (envelope, delivery) => handle(parsePayload(versioned, envelope), envelope, delivery),
  };
}

/**
 * Route for a request: validates it (any version the contract reads, upgraded to the current
 * shape), runs `answer`, and publishes the reply (as the contract's version) to the request's
 * `replyTo` topic with `inReplyTo` = the request's messageId. A ReplyError becomes an error reply;
 * any other failure is retried by the consumer, and a request that ends in the dead-letter topic
 * is answered INTERNAL there.
 */
export function onRequest<Req extends z.ZodType, Res extends z.ZodType>(
  contract: RequestContract<Req, Res>,
  publisher: ReplySender,
  answer: (request: z.infer<Req>, envelope: Envelope) => Promise<z.infer<Res>>,
): MessageRoute {
  const versioned = requestPayload(contract);
  return {
    type: contract.type,
    replyVersion: contract.version,
    async handle(envelope) {
      if (!envelope.replyTo) throw new PoisonMessageError(`${contract.type} request without replyTo`);
      const send = (payload: ReplyPayload) => sendReply(publisher, envelope, payload, contract.version);
      let request: z.infer<Req>;
      try {
        request = parsePayload(versioned, envelope);
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
