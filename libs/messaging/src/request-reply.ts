import { randomUUID } from 'node:crypto';
import type { ConsumerRunConfig, Kafka } from 'kafkajs';
import type { z } from 'zod';
import {
  Envelope,
  ReplyPayload,
  readPayload,
  replyResult,
  type ReplyErrorCode,
  type RequestContract,
  type VersionedPayload,
} from '@orderline/contracts';
import type { Logger } from '@orderline/logging';
import { inSpan, isTracing, kafkaSpanAttributes, startSpan, traceHeadersFrom, SpanAttributes } from '@orderline/tracing';
import { newEnvelope } from './envelope';
import { FETCH_MAX_WAIT_MS } from './kafka';
import type { Publisher } from './publisher';
import { requestTimeouts } from './metrics';
import { restartOnCrash, type CrashRestart } from './restart-on-crash';

/** No reply came within the timeout (the gateway answers 504). */
export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
}

/** Too many requests wait for replies already: the caller answers 503 at once rather than the map growing. */
export class RequesterOverloadedError extends Error {
  override name = 'RequesterOverloadedError';
}

/** The responder answered with an error (`{ok:false}`). */
export class ReplyFailedError extends Error {
  override name = 'ReplyFailedError';
  constructor(
    readonly code: ReplyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The reply came as a version this requester does not read, or its result does not match its contract. */
export class UnreadableReplyError extends Error {
  override name = 'UnreadableReplyError';
}

/** A reply as it came: its payload and the version it was written as. */
interface Reply {
  payload: ReplyPayload;
  version?: number;
}

interface Pending {
  resolve(reply: Reply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface RequesterOptions {
  kafka: Kafka;
  publisher: Publisher;
  /** the topic replies to this service come back on */
  replyTopic: string;
  /** unique per process: each instance reads every reply in its own consumer group and keeps its own */
  instanceId: string;
  logger: Logger;
  timeoutMs: number;
  /** requests that may wait for their replies at once; beyond it `request` fails at once (RequesterOverloadedError) */
  maxPending?: number;
}

export interface RequestOptions {
  correlationId: string;
  /** partition key; requests for one order should use the order id */
  key: string;
  timeoutMs?: number;
}

/**
 * Request/reply over Kafka. `request()` publishes the request with `replyTo` = this service's reply
 * topic and waits for the reply whose `inReplyTo` is the request's messageId; its result is read
 * by its version like any message (`readPayload`: the current, previous and next version).
 *
 * Several instances of one service share the reply topic: each reads all of it in a consumer
 * group of its own (`<replyTopic>.<instanceId>`, starting at the end) and ignores replies it is
 * not waiting for. Simple and correct at any instance count; the cost is that each instance reads
 * every reply (see docs for the per-instance-partition alternative at large scale).
 */
export class Requester {
  private readonly pending = new Map<string, Pending>();
  private readonly consumer;
  private crashRestart?: CrashRestart;

  constructor(private readonly options: RequesterOptions) {
    this.consumer = options.kafka.consumer({
      groupId: `${options.replyTopic}.${options.instanceId}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
  }

  /** Resolves once replies are being read, so no reply to a later request can be missed. */
  async start(): Promise<void> {
    const { replyTopic, logger } = this.options;
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: replyTopic, fromBeginning: false });
    // The first completed fetch after joining means the start offsets ("latest") are fixed:
    // every reply produced from then on will be read.
    const firstFetch = new Promise<void>((resolve) => {
      const removeListener = this.consumer.on(this.consumer.events.FETCH, () => {
        removeListener();
        resolve();
      });
    });
    const runConfig: ConsumerRunConfig = {
      eachMessage: async ({ message }) => {
        let envelope: Envelope;
        let reply: ReplyPayload;
        try {
          envelope = Envelope.parse(JSON.parse(message.value?.toString('utf8') ?? ''));
          reply = ReplyPayload.parse(envelope.payload);
        } catch (error) {
          logger.warn('ignoring malformed reply', { topic: replyTopic, offset: message.offset, error: String(error) });
          return;
        }
        const waiting = envelope.inReplyTo ? this.pending.get(envelope.inReplyTo) : undefined;
        if (!waiting) return; // another instance's reply, or one that already timed out
        this.pending.delete(envelope.inReplyTo as string);
        if (isTracing()) {
          // the reply's arrival, in the responder's trace (a child of its produce span)
          startSpan(`receive ${replyTopic}`, {
            kind: 'consumer',
            parent: traceHeadersFrom(message.headers),
            attributes: kafkaSpanAttributes('receive', replyTopic, {
              [SpanAttributes.messagingMessageId]: envelope.messageId,
              'orderline.message.type': envelope.type,
            }),
          }).end();
        }
        clearTimeout(waiting.timer);
        waiting.resolve({ payload: reply, version: envelope.version });
      },
    };
    this.crashRestart = restartOnCrash(this.consumer, runConfig, logger);
    await this.consumer.run(runConfig);
    await firstFetch;
  }

  /** Sends a request and waits for its reply; tracing on, in a CLIENT span from the request's send to its reply. */
  request<Req extends z.ZodType, Res extends z.ZodType>(
    contract: RequestContract<Req, Res>,
    payload: z.input<Req>,
    options: RequestOptions,
  ): Promise<z.infer<Res>> {
    if (!isTracing()) return this.requestAndWait(contract, payload, options);
    return inSpan(
      `request ${contract.type}`,
      { kind: 'client', attributes: { [SpanAttributes.messagingDestination]: contract.topic } },
      () => this.requestAndWait(contract, payload, options),
    );
  }

  private async requestAndWait<Req extends z.ZodType, Res extends z.ZodType>(
    contract: RequestContract<Req, Res>,
    payload: z.input<Req>,
    { correlationId, key, timeoutMs = this.options.timeoutMs }: RequestOptions,
  ): Promise<z.infer<Res>> {
    const maxPending = this.options.maxPending ?? 10_000;
    if (this.pending.size >= maxPending) {
      throw new RequesterOverloadedError(`${this.pending.size} requests are waiting for replies already (limit ${maxPending})`);
    }
    const envelope = newEnvelope(contract, contract.request.parse(payload), correlationId, {
      replyTo: this.options.replyTopic,
      replyBy: Date.now() + timeoutMs,
    });
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelope.messageId);
        requestTimeouts.inc({ type: contract.type });
        reject(new RequestTimeoutError(`no reply to ${contract.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(envelope.messageId, { resolve, reject, timer });
    });
    // The timeout may fire while publish() is still retrying: keep that rejection from being
    // "unhandled" (which would end the process); it is awaited below.
    reply.catch(() => undefined);
    try {
      await this.options.publisher.publish({ topic: contract.topic, key, envelope });
    } catch (error) {
      const waiting = this.pending.get(envelope.messageId);
      if (waiting) clearTimeout(waiting.timer);
      this.pending.delete(envelope.messageId);
      throw error;
    }
    const { payload: answer, version } = await reply;
    if (!answer.ok) throw new ReplyFailedError(answer.error.code, answer.error.message);
    const result = readPayload(resultOf(contract), version, answer.result);
    if (!result.ok) throw new UnreadableReplyError(result.reason);
    return result.payload;
  }

  async stop(): Promise<void> {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error('requester stopped'));
      this.pending.delete(id);
    }
    this.crashRestart?.stop();
    await this.consumer.disconnect();
  }
}

const results = new WeakMap<RequestContract, VersionedPayload>();

/** A contract's reply result as versioned payload, made once per contract. */
function resultOf<Res extends z.ZodType>(contract: RequestContract<z.ZodType, Res>): VersionedPayload<Res> {
  let result = results.get(contract);
  if (!result) results.set(contract, (result = replyResult(contract)));
  return result as VersionedPayload<Res>;
}

export function newInstanceId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
