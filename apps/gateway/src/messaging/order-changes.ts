import { Gauge } from 'prom-client';
import { Envelope, Headers, Order, OrderEventTypes, OrderEvents, OrderStatus, Topics, type OrderEventType } from '@orderline/contracts';
import type { FollowedMessage } from '@orderline/messaging';
import { orderOfEvent } from './order-events';

/** One event of `orders.events` as streams hand it on: where it sits in the log, and the order as it became. */
export interface OrderChange {
  readonly partition: number;
  readonly offset: number;
  readonly type: OrderEventType;
  /** the order as JSON, serialized once for every stream that sends it */
  readonly json: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly version: number;
  readonly status: Order['status'];
  readonly createdAt: string;
  /** the order as it became, parsed from `json` on every use (see HeldChange) */
  readonly order: Order;
  /**
   * Whether the order is one as the contract has it (the Order schema), checked the first time it
   * is asked (see parseChange): subscribers get only changes that are, unless they subscribed
   * `unchecked` and ask themselves before they serve one.
   */
  valid(): boolean;
}

/**
 * A change as it is held: the order as JSON and the few fields the fan-out needs. Up to
 * SSE_REPLAY_MAX_EVENTS (100,000) of them are kept, so each is a string and four fields rather than
 * a parsed order's tree of objects: the heap the garbage collector walks stays small, and so do its
 * pauses (which held every request of the gateway while it took in a backlog's events).
 */
class HeldChange implements OrderChange {
  readonly orderId: string;
  readonly customerId: string;
  readonly version: number;
  readonly status: Order['status'];
  readonly createdAt: string;
  /** the JSON's length when it was held (what the replay bound counts) */
  readonly size: number;
  json: string;
  private checked: boolean | undefined;

  constructor(
    readonly partition: number,
    readonly offset: number,
    readonly type: OrderEventType,
    order: Order,
    /** true: read through its contract already; false: only the fields above were checked */
    checked: boolean,
  ) {
    this.orderId = order.id;
    this.customerId = order.customerId;
    this.version = order.version;
    this.status = order.status;
    this.createdAt = order.createdAt;
    this.json = JSON.stringify(order);
    this.size = this.json.length;
    this.checked = checked ? true : undefined;
  }

  get order(): Order {
    return JSON.parse(this.json) as Order;
  }

  valid(): boolean {
    if (this.checked === undefined) {
      const read = Order.safeParse(JSON.parse(this.json));
      this.checked = read.success;
      // as the schema reads it (what every other read of an order shows)
      if (read.success) this.json = JSON.stringify(read.data);
    }
    return this.checked;
  }
}

/**
 * A position in `orders.events` every gateway instance agrees on: per partition (the index), the
 * next offset not yet accounted for. Everything before it was sent to the stream or did not concern it.
 */
export type LogPosition = number[];

/** Whose changes a subscriber gets: one order's, one customer's, or (neither) everyone's. */
export interface ChangeFilter {
  orderId?: string;
  customerId?: string;
}

/** Called synchronously, in log order per partition, with the position just after the change (read it at once; it changes). */
export type ChangeListener = (change: OrderChange, position: LogPosition) => void;

export interface Subscription {
  /** where the subscriber stands once the replay is done: later changes come live */
  position: LogPosition;
  close(): void;
}

/** What a stream asks of the changes (OrderChanges, or a fake in specs). */
export interface OrderChangesView {
  /** whether a subscription from `from` would replay (what `subscribe` would answer, without subscribing) */
  resumable(from: LogPosition): 'ok' | 'too-old' | 'invalid' | undefined;
  /** undefined until the follower has started (no position is known yet) */
  subscribe(
    filter: ChangeFilter,
    listener: ChangeListener,
    from?: LogPosition,
    options?: SubscribeOptions,
  ): Subscription | 'too-old' | 'invalid' | undefined;
}

/** How a subscriber takes its changes. */
export interface SubscribeOptions {
  /**
   * Every change, whether or not its order has been checked against the contract: for a subscriber
   * that holds changes and serves few of them (checking one costs ~50 µs, and a catch-up brings
   * thousands a second); it calls `valid()` before it serves one.
   */
  unchecked?: boolean;
}

interface Subscriber {
  filter: ChangeFilter;
  listener: ChangeListener;
  /** the position it resumed from, where that is ahead of this instance (another instance had read further) */
  floor?: LogPosition;
}

/** How many recent changes each instance keeps for streams resuming with Last-Event-ID. */
export interface ReplayBounds {
  maxEvents: number;
  maxBytes: number;
}

/**
 * Every change of every order, as this gateway instance follows `orders.events` itself, fanned
 * out to the streams that asked for it (SSE, long-polls). Positions are Kafka offsets, so a stream
 * can resume on any instance from the position another one gave it.
 *
 * Keeps the most recent changes (bounded by `maxEvents` and `maxBytes`) to replay to a stream
 * that resumes: a position older than what is kept is `too-old` (the stream decides what then).
 */
export class OrderChanges implements OrderChangesView {
  /** next offset per partition this instance has read up to; undefined before the first start offsets are known */
  private position?: LogPosition;
  /** per partition, the oldest offset from which on every change is held */
  private heldFrom: number[] = [];
  /** recent changes, oldest first (a queue: `head` is its first live index) */
  private held: (HeldChange | undefined)[] = [];
  private head = 0;
  private heldBytes = 0;
  private readonly byOrder = new Map<string, Set<Subscriber>>();
  private readonly byCustomer = new Map<string, Set<Subscriber>>();
  private readonly everyone = new Set<Subscriber>();
  private subscribers = 0;

  constructor(
    private readonly options: ReplayBounds & {
      /** where the follower began reading orders.events, per partition (TopicFollower.startOffsets) */
      startOffsets: () => Map<number, number>;
    },
  ) {}

  /** Takes in messages followed from `orders.events` (others are ignored). */
  follow(messages: FollowedMessage[]): void {
    for (const message of messages) {
      if (message.topic !== Topics.orderEvents) continue;
      const position = this.started();
      if (!position) continue;
      const { partition, offset } = message;
      while (position.length <= partition) {
        position.push(0); // a partition added since the start: read from its beginning
        this.heldFrom.push(0);
      }
      if (offset < position[partition]) continue; // read again after the follower restarted
      position[partition] = offset + 1;
      const change = parseChange(message);
      if (!change) continue;
      this.hold(change);
      this.publish(change, position);
    }
  }

  resumable(from: LogPosition): 'ok' | 'too-old' | 'invalid' | undefined {
    const position = this.started();
    if (!position) return undefined;
    if (from.length !== position.length) return 'invalid';
    if (from.some((offset, partition) => offset < this.heldFrom[partition])) return 'too-old';
    return 'ok';
  }

  subscribe(
    filter: ChangeFilter,
    given: ChangeListener,
    from?: LogPosition,
    options: SubscribeOptions = {},
  ): Subscription | 'too-old' | 'invalid' | undefined {
    const position = this.started();
    if (!position) return undefined;
    const replay = from ? this.resumable(from) : 'ok';
    if (replay !== 'ok') return replay;
    // an order that is not one as the contract has it is no change to a checking subscriber (nor to a GET)
    const listener: ChangeListener = options.unchecked ? given : (change, at) => change.valid() && given(change, at);
    const subscriber: Subscriber = { filter, listener };
    // replay what it missed: walking the held changes in the order they were read, its position
    // moves on per partition, so the id of each change sent is exact
    let at = position.slice();
    if (from) {
      at = from.slice();
      for (let i = this.head; i < this.held.length; i++) {
        const change = this.held[i] as OrderChange;
        if (change.offset < at[change.partition]) continue;
        at[change.partition] = change.offset + 1;
        if (matches(filter, change)) listener(change, at);
      }
      for (let partition = 0; partition < at.length; partition++) at[partition] = Math.max(at[partition], position[partition]);
      if (at.some((offset, partition) => offset > position[partition])) subscriber.floor = at.slice();
    }
    this.add(subscriber);
    return { position: at, close: () => this.remove(subscriber) };
  }

  /** Streams subscribed now, and changes held for replay (for metrics and tests). */
  size(): { subscribers: number; held: number; heldBytes: number } {
    return { subscribers: this.subscribers, held: this.held.length - this.head, heldBytes: this.heldBytes };
  }

  private started(): LogPosition | undefined {
    if (this.position) return this.position;
    const starts = this.options.startOffsets();
    if (starts.size === 0) return undefined;
    const partitions = Math.max(...starts.keys()) + 1;
    this.position = Array.from({ length: partitions }, (_, partition) => starts.get(partition) ?? 0);
    this.heldFrom = this.position.slice();
    return this.position;
  }

  private hold(change: HeldChange): void {
    this.held.push(change);
    this.heldBytes += change.size;
    const { maxEvents, maxBytes } = this.options;
    while (this.held.length - this.head > maxEvents || this.heldBytes > maxBytes) {
      const oldest = this.held[this.head] as HeldChange;
      this.held[this.head++] = undefined;
      this.heldBytes -= oldest.size;
      this.heldFrom[oldest.partition] = oldest.offset + 1;
    }
    // drop the consumed front now and then (amortised O(1))
    if (this.head > 1_024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
  }

  private publish(change: OrderChange, position: LogPosition): void {
    const notify = (subscriber: Subscriber) => {
      try {
        deliver(subscriber);
      } catch {
        // one stream's failure is its own: the follower must go on for every other (a follower never retries)
        this.remove(subscriber);
      }
    };
    const deliver = (subscriber: Subscriber) => {
      if (!subscriber.floor) return subscriber.listener(change, position);
      // resumed ahead of this instance: what lies before its floor it has seen already
      if (change.offset < subscriber.floor[change.partition]) return;
      const at = position.map((offset, partition) => Math.max(offset, (subscriber.floor as LogPosition)[partition] ?? 0));
      if (at.every((offset, partition) => offset === position[partition])) subscriber.floor = undefined;
      subscriber.listener(change, at);
    };
    // a listener may unsubscribe (a stream ending): iterate over copies
    for (const subscriber of [...(this.byOrder.get(change.orderId) ?? [])]) notify(subscriber);
    for (const subscriber of [...(this.byCustomer.get(change.customerId) ?? [])]) notify(subscriber);
    for (const subscriber of this.everyone.size ? [...this.everyone] : []) notify(subscriber);
  }

  private add(subscriber: Subscriber): void {
    const { orderId, customerId } = subscriber.filter;
    if (orderId !== undefined) setOf(this.byOrder, orderId).add(subscriber);
    else if (customerId !== undefined) setOf(this.byCustomer, customerId).add(subscriber);
    else this.everyone.add(subscriber);
    this.subscribers++;
  }

  private remove(subscriber: Subscriber): void {
    const { orderId, customerId } = subscriber.filter;
    const removed =
      orderId !== undefined
        ? deleteFrom(this.byOrder, orderId, subscriber)
        : customerId !== undefined
          ? deleteFrom(this.byCustomer, customerId, subscriber)
          : this.everyone.delete(subscriber);
    if (removed) this.subscribers--;
  }
}

function matches(filter: ChangeFilter, change: OrderChange): boolean {
  if (filter.orderId !== undefined) return change.orderId === filter.orderId;
  if (filter.customerId !== undefined) return change.customerId === filter.customerId;
  return true;
}

function setOf<K, V>(map: Map<K, Set<V>>, key: K): Set<V> {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  return set;
}

function deleteFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): boolean {
  const set = map.get(key);
  if (!set?.delete(value)) return false;
  if (set.size === 0) map.delete(key);
  return true;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(OrderEventTypes);

/**
 * An order event as order-management writes it (`{ order }`, the order as it became), or undefined
 * for anything else. One sent as its contract's current version is taken with only the fields the
 * fan-out needs checked (its whole order is checked when first served: `valid()`); any other
 * version is read through its contract (`readPayload`), as every consumer reads it.
 */
export function parseChange(message: Pick<FollowedMessage, 'partition' | 'offset' | 'value' | 'headers'>): HeldChange | undefined {
  if (!message.value) return undefined;
  try {
    const raw = JSON.parse(message.value.toString('utf8')) as unknown;
    const type = message.headers[Headers.messageType] ?? (isRecord(raw) ? raw['type'] : undefined);
    if (typeof type !== 'string' || !EVENT_TYPES.has(type)) return undefined;
    const current = currentVersionOrder(raw, type as OrderEventType);
    if (current) return new HeldChange(message.partition, message.offset, type as OrderEventType, current, false);
    const order = orderOfEvent(Envelope.parse(raw), type);
    if (!order) return undefined;
    return new HeldChange(message.partition, message.offset, type as OrderEventType, order, true);
  } catch {
    return undefined;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES: ReadonlySet<unknown> = new Set(OrderStatus.options);

/** The order of an event sent as its contract's current version, if the fields the fan-out uses are sound; else undefined. */
function currentVersionOrder(raw: unknown, type: OrderEventType): Order | undefined {
  if (!isRecord(raw) || (raw['version'] ?? 1) !== OrderEvents[type].version || !isRecord(raw['payload'])) return undefined;
  const order = raw['payload']['order'];
  if (!isRecord(order)) return undefined;
  const { id, customerId, version, status, createdAt } = order;
  const sound =
    typeof id === 'string' &&
    UUID.test(id) &&
    typeof customerId === 'string' &&
    customerId.length > 0 &&
    Number.isInteger(version) &&
    (version as number) >= 0 &&
    STATUSES.has(status) &&
    typeof createdAt === 'string';
  return sound ? (order as Order) : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A stream position as the SSE `id:` (Last-Event-ID): opaque to clients, ASCII. `1:` (the format),
 * the order's version for a one-order stream (else empty), then the next offset of every partition
 * of orders.events in base 36.
 */
export function encodePosition(position: LogPosition, version?: number): string {
  return `1:${version ?? ''}:${position.map((offset) => offset.toString(36)).join('.')}`;
}

export function decodePosition(token: string): { position: LogPosition; version?: number } | undefined {
  const match = /^1:(\d{0,15}):([0-9a-z]{1,13}(?:\.[0-9a-z]{1,13}){0,999})$/.exec(token);
  if (!match) return undefined;
  const position = match[2].split('.').map((offset) => parseInt(offset, 36));
  if (!position.every(Number.isSafeInteger)) return undefined;
  return { position, ...(match[1] ? { version: Number(match[1]) } : {}) };
}

/** The changes' figures, read at scrape time. */
export function trackOrderChanges(view: Pick<OrderChanges, 'size'>): void {
  new Gauge({
    name: 'orderline_order_change_subscribers',
    help: 'Streams and long-polls this gateway instance sends order changes to',
    collect() {
      this.set(view.size().subscribers);
    },
  });
  new Gauge({
    name: 'orderline_order_changes_held',
    help: 'Recent order changes this gateway instance keeps for streams resuming with Last-Event-ID, and their bytes',
    labelNames: ['unit'],
    collect() {
      const { held, heldBytes } = view.size();
      this.set({ unit: 'events' }, held);
      this.set({ unit: 'bytes' }, heldBytes);
    },
  });
}
