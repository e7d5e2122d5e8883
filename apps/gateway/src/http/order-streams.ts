import type { RequestHandler, Response } from 'express';
import { Counter } from 'prom-client';
import { apiRoutes, customerOfList, type Order } from '@orderline/contracts';
import type { Logger } from '@orderline/logging';
import {
  decodePosition,
  encodePosition,
  type ChangeFilter,
  type ChangeListener,
  type LogPosition,
  type OrderChange,
  type OrderChangesView,
  type Subscription,
} from '../messaging/order-changes';
import { callerOf } from './auth';
import { HttpProblem } from './problem-response';
import { inputOf } from './route-input';

/** Bounds on streams (SSE) and long-polls; see GatewayEnv's SSE_* and LONG_POLL_* for what each is. */
export interface StreamLimits {
  heartbeatMs: number;
  /** bytes a stream may have queued in this process for a client that does not read; beyond: cut off */
  maxBufferedBytes: number;
  maxStreams: number;
  maxStreamsPerCustomer: number;
  /** the longest `Prefer: wait=N` honoured, seconds */
  maxWaitSeconds: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  heartbeatMs: 15_000,
  maxBufferedBytes: 1_048_576,
  maxStreams: 10_000,
  maxStreamsPerCustomer: 10,
  maxWaitSeconds: 30,
};

/** A stream's first event (and its first after a resume from a position no longer held): the order as it is. */
export const ORDER_STATE_EVENT = 'OrderState';
const TERMINAL: ReadonlySet<Order['status']> = new Set(['REJECTED', 'CANCELLED', 'DELIVERED']);

const streamsCutOff = new Counter({
  name: 'orderline_sse_streams_cut_off_total',
  help: 'SSE streams closed because the client did not read (more than SSE_MAX_BUFFERED_BYTES queued)',
});
const streamsRefused = new Counter({
  name: 'orderline_sse_streams_refused_total',
  help: 'SSE streams and long-polls refused or not held, by the bound that was full',
  labelNames: ['bound'],
});

/** Counts open streams and long-polls: per instance and per customer. */
class StreamSlots {
  private total = 0;
  private readonly perCustomer = new Map<string, number>();

  constructor(private readonly limits: StreamLimits) {}

  /** A slot for `customerId`, or why there is none (the bound that is full). */
  take(customerId: string): (() => void) | 'instance' | 'customer' {
    if (this.total >= this.limits.maxStreams) return 'instance';
    const held = this.perCustomer.get(customerId) ?? 0;
    if (held >= this.limits.maxStreamsPerCustomer) return 'customer';
    this.total++;
    this.perCustomer.set(customerId, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perCustomer.get(customerId) ?? 1) - 1;
      if (left > 0) this.perCustomer.set(customerId, left);
      else this.perCustomer.delete(customerId);
    };
  }

  /** A slot, or the 503 / 429 (with Retry-After) saying which bound is full. */
  takeOrRefuse(customerId: string): () => void {
    const slot = this.take(customerId);
    if (typeof slot === 'function') return slot;
    streamsRefused.inc({ bound: slot });
    if (slot === 'instance') {
      throw new HttpProblem('unavailable', `this gateway instance holds ${this.limits.maxStreams} streams already`, undefined, 5);
    }
    throw new HttpProblem(
      'tooManyRequests',
      `${customerId} holds ${this.limits.maxStreamsPerCustomer} streams on this instance already; close one first`,
      undefined,
      5,
    );
  }
}

/**
 * One `text/event-stream` response. Never buffers without bound: a write that leaves more than
 * `maxBufferedBytes` queued for the socket (the kernel's buffers are full, the client is not
 * reading) cuts the client off. A comment every `heartbeatMs` keeps proxies and the idle timeout
 * from closing a quiet stream, and finds dead clients.
 */
class EventStream {
  private readonly heartbeat: NodeJS.Timeout;
  closed = false;

  constructor(
    private readonly res: Response,
    private readonly limits: StreamLimits,
    private readonly logger: Logger,
    onClose: () => void,
  ) {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx and similar proxies would buffer the stream
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), limits.heartbeatMs);
    res.on('close', () => {
      this.closed = true;
      clearInterval(this.heartbeat);
      onClose();
    });
  }

  send(id: string, event: string, json: string): void {
    this.write(`id: ${id}\nevent: ${event}\ndata: ${json}\n\n`);
  }

  /** Only moves the client's Last-Event-ID on (no event is dispatched for a message without data). */
  position(id: string): void {
    this.write(`: subscribed\nid: ${id}\n\n`);
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
  }

  private write(text: string): void {
    if (this.closed) return;
    this.res.write(text);
    if (this.res.writableLength > this.limits.maxBufferedBytes) {
      streamsCutOff.inc();
      this.logger.warn('cut off an SSE client that does not read', { queuedBytes: this.res.writableLength });
      this.closed = true;
      this.res.destroy();
    }
  }
}

/**
 * Server-sent events of order changes, and long-polls (`Prefer: wait=N` on GET of one order).
 * Every gateway instance follows orders.events itself (messaging/order-changes.ts); an event's
 * `id:` is its position in that log, so a client resumes on any instance with Last-Event-ID.
 *
 * - `GET /api/v1/orders/{id}/events`: `OrderState` (the order as GET answers it) at once, then
 *   every change; ends after a terminal status. Resuming from a position no longer held here
 *   starts again with `OrderState` (the current order, when newer than the client's).
 * - `GET /api/v1/orders/events`: every change of the caller's orders (an admin: all, or
 *   `?customerId=`), until the client leaves. Resuming from a position no longer held: 410.
 */
export function orderStreamHandlers({
  changes,
  lookUpOrder,
  limits,
  logger,
}: {
  changes: OrderChangesView;
  /** GET's read of one order, authorized like it (404 for another customer's) */
  lookUpOrder(orderId: string, res: Response): Promise<Order>;
  limits: StreamLimits;
  logger: Logger;
}) {
  const slots = new StreamSlots(limits);

  const subscribeOrRefuse = (filter: ChangeFilter, listener: ChangeListener, from?: LogPosition) => {
    const subscription = changes.subscribe(filter, listener, from);
    if (subscription === undefined) throw new HttpProblem('unavailable', 'this gateway instance is not following orders.events yet');
    return subscription;
  };

  const streamOrder: RequestHandler = async (_req, res) => {
    const { params, headers } = inputOf(res, apiRoutes.streamOrder);
    const resume = lastEventId(headers['last-event-id']);
    const release = slots.takeOrRefuse(callerOf(res).customerId);
    // subscribed before the order is read, so no change falls between; what the read already shows is skipped by version
    const early: [OrderChange, string][] = [];
    let stream: EventStream | undefined;
    let sentVersion = resume?.version ?? -1;
    let subscription: Subscription | undefined;
    const send = (change: OrderChange, id: string) => {
      if (!stream || change.version <= sentVersion) return;
      sentVersion = change.version;
      stream.send(id, change.type, change.json);
      if (TERMINAL.has(change.status)) stream.end();
    };
    const listener: ChangeListener = (change, position) => {
      const id = encodePosition(position, change.version);
      if (stream) send(change, id);
      else early.push([change, id]);
    };
    try {
      const filter = { orderId: params.id };
      let held = subscribeOrRefuse(filter, listener, resume?.position);
      if (held === 'invalid') throw badLastEventId();
      const restart = held === 'too-old';
      if (held === 'too-old') held = subscribeOrRefuse(filter, listener) as Subscription;
      subscription = held as Subscription;
      const order = await lookUpOrder(params.id, res);
      const { position } = subscription;
      const close = subscription.close;
      stream = new EventStream(res, limits, logger, () => {
        close();
        release();
      });
      const resumedAt = sentVersion;
      if ((!resume || restart) && order.version > sentVersion) {
        sentVersion = order.version;
        stream.send(encodePosition(position, order.version), ORDER_STATE_EVENT, JSON.stringify(order));
      }
      // what was replayed, and what changed while the order was read
      for (const [change, id] of early) send(change, id);
      // nothing sent: the client learns where it stands now (after the replay, never before it: it could resume past it)
      if (sentVersion === resumedAt) stream.position(encodePosition(position, sentVersion));
      // the client has seen the terminal status (now or before it resumed): nothing more will come
      if (TERMINAL.has(order.status) && order.version <= sentVersion) stream.end();
    } catch (error) {
      subscription?.close();
      release();
      throw error;
    }
  };

  const streamOrders: RequestHandler = async (_req, res) => {
    const { query, headers } = inputOf(res, apiRoutes.streamOrders);
    const caller = callerOf(res);
    const whose = customerOfList(caller, query.customerId);
    if ('refused' in whose) throw new HttpProblem('forbidden', whose.refused);
    const resume = lastEventId(headers['last-event-id']);
    // checked before the stream opens (a 410 needs its own status); the replay is then written as it is walked, never gathered
    const resumable = resume ? changes.resumable(resume.position) : 'ok';
    if (resumable === undefined) throw new HttpProblem('unavailable', 'this gateway instance is not following orders.events yet');
    if (resumable === 'invalid') throw badLastEventId();
    if (resumable === 'too-old') {
      throw new HttpProblem(
        'gone',
        'Last-Event-ID names a position this instance no longer holds: read the current orders (GET /api/v1/orders) and connect again without it',
      );
    }
    const release = slots.takeOrRefuse(caller.customerId);
    // (its close is an event, emitted after the subscription below exists)
    const stream = new EventStream(res, limits, logger, () => {
      subscription.close();
      release();
    });
    // synchronous since the check: nothing was evicted in between
    const subscription = subscribeOrRefuse(
      whose.granted === undefined ? {} : { customerId: whose.granted },
      (change, position) => stream.send(encodePosition(position), change.type, change.json),
      resume?.position,
    ) as Subscription;
    if (stream.closed) subscription.close(); // cut off during the replay
    // after the replay, never before it: a client that left in between would resume past it
    stream.position(encodePosition(subscription.position));
  };

  /**
   * For GET with `Prefer: wait=N`: watches the order from before it is read, then answers as soon
   * as it changes (leaves PENDING) or after N seconds with the order as it is. Undefined when no
   * wait is asked for or no slot is free (then GET answers at once, without Preference-Applied).
   */
  const watchOrder = (orderId: string, preference: string | undefined, res: Response) => {
    const seconds = preferredWait(preference, limits.maxWaitSeconds);
    if (!seconds) return undefined;
    const release = slots.take(callerOf(res).customerId);
    if (typeof release !== 'function') {
      streamsRefused.inc({ bound: release });
      return undefined;
    }
    let changed: (order: Order | undefined) => void = () => undefined;
    const next = new Promise<Order | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), seconds * 1000);
      changed = (order) => {
        clearTimeout(timer);
        resolve(order);
      };
      res.on('close', () => changed(undefined));
    });
    const subscription = changes.subscribe({ orderId }, (change) => changed(change.order));
    if (typeof subscription !== 'object') {
      release();
      return undefined;
    }
    return {
      seconds,
      /** the order once changed; undefined after the wait */
      changed: () => next,
      close: () => {
        subscription.close();
        release();
      },
    };
  };

  return { streamOrder, streamOrders, watchOrder };
}

function lastEventId(value: string | undefined): ReturnType<typeof decodePosition> {
  if (value === undefined) return undefined;
  const decoded = decodePosition(value);
  if (!decoded) throw badLastEventId();
  return decoded;
}

const badLastEventId = () =>
  new HttpProblem('validation', 'Last-Event-ID is not a position this API sent', [
    { path: 'headers.last-event-id', message: 'not an event id of this stream' },
  ]);

/**
 * The seconds a `Prefer` header (RFC 7240) asks to wait, at most `max`; undefined without a valid
 * `wait` preference (a preference the server does not understand is ignored, never an error).
 */
export function preferredWait(header: string | undefined, max: number): number | undefined {
  if (!header) return undefined;
  for (const preference of header.split(',')) {
    const [token, ...value] = (preference.split(';')[0] ?? '').split('=');
    if (token.trim().toLowerCase() !== 'wait') continue;
    const seconds = value
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (!/^\d{1,9}$/.test(seconds)) return undefined;
    return Math.min(Number(seconds), max) || undefined;
  }
  return undefined;
}
