import { Gauge } from 'prom-client';
import { CreateOrder, Envelope, Headers, Topics, type CreateOrderPayload, type Order } from '@orderline/contracts';
import type { FollowedMessage } from '@orderline/messaging';
import { createOrderCommand } from './order-events';

/** An accepted order as it was asked for: the CreateOrder command, parsed only when read. */
interface Accepted {
  /** the command as it travels (followed from the log), or already parsed (accepted here) */
  value: Buffer | CreateOrderPayload;
  acceptedAt: number;
  bytes: number;
}

/** How finely the acceptance times of `orders.commands` are kept: the decision lag is known to within this. */
const TIMELINE_STEP_MS = 100;
/**
 * Orders known to be stored, so a CreateOrder read after its order's event (a client's retry, a
 * redelivery, two readers' partitions at different speeds) does not make it PENDING again.
 */
const MAX_DECIDED_REMEMBERED = 100_000;
/** How often order-management's committed offsets are read (main.ts): how fresh the figures below are. */
export const DECISIONS_READ_EVERY_MS = 250;
/** The decision rate is measured over at most this long, and at least MIN_RATE_SPAN_MS. */
const DECISION_RATE_WINDOW_MS = 5_000;
const MIN_RATE_SPAN_MS = 500;
/**
 * While the oldest undecided order has waited less than this, order-management is not known to be
 * busy: decisions per second then measure the demand, not what it can decide (an idle system would
 * look slow, and a burst of a few hundred orders look like a long backlog).
 */
const BUSY_LAG_MS = 1_000;

/**
 * The orders this system has accepted and not yet decided, as every gateway instance follows them
 * from the log: a CreateOrder on `orders.commands` adds one, any event of that order on
 * `orders.events` (it is stored) drops it for good. A read of such an order is answered PENDING here,
 * without asking order-management, so reads never wait for the decisions however far behind they
 * are (or whether order-management runs at all).
 *
 * Also knows how far behind the decisions are, in time: per partition of `orders.commands` it
 * keeps when messages were produced (one mark per TIMELINE_STEP_MS), and order-management's
 * committed offset says which was the oldest not yet decided; read over time, those offsets give the
 * rate at which it decides.
 *
 * Bounded: at most `maxBytes` of commands (the oldest go first) and none older than `maxAgeMs`;
 * an order that fell out is read from order-management like any other.
 */
export class AcceptedOrders {
  private readonly orders = new Map<string, Accepted>();
  private bytes = 0;
  /** ids of orders known to be stored (an event was seen), oldest first */
  private readonly decided = new Set<string>();
  /** per partition of orders.commands: [offset, produced at] marks, ascending */
  private readonly timelines = new Map<number, [number, number][]>();
  /** per partition: the next offset this instance will read */
  private readonly readUpTo = new Map<number, number>();
  /** per partition: order-management's committed offset (its oldest undecided message) */
  private committed = new Map<number, number>();
  /** [when read, Σ committed offsets] over the last DECISION_RATE_WINDOW_MS: the decision rate */
  private decidedTotals: [number, number][] = [];

  constructor(private readonly options: { maxBytes: number; maxAgeMs: number; now?: () => number }) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Takes in messages followed from `orders.commands` and `orders.events`. */
  follow(messages: FollowedMessage[]): void {
    for (const message of messages) {
      if (message.topic === Topics.orderEvents) {
        if (message.key) this.stored(message.key);
        continue;
      }
      if (message.topic !== Topics.orderCommands) continue;
      this.mark(message.partition, message.offset, message.timestamp);
      if (message.key && message.value && message.headers[Headers.messageType] === CreateOrder.type) {
        this.remember(message.key, message.value, message.timestamp);
      }
    }
  }

  /** An order this instance has just accepted: readable at once (read-your-writes without waiting for the log). */
  accepted(command: CreateOrderPayload): void {
    this.remember(command.orderId, command, this.now());
  }

  /** The order as PENDING, if it is accepted and not known to be stored; undefined otherwise. */
  find(orderId: string): Order | undefined {
    const entry = this.orders.get(orderId);
    if (!entry) return undefined;
    const command = Buffer.isBuffer(entry.value) ? parseCommand(entry.value) : entry.value;
    if (!command) {
      this.forget(orderId); // not a CreateOrder the gateway wrote: order-management will dead-letter it
      return undefined;
    }
    const at = new Date(entry.acceptedAt).toISOString();
    return {
      id: command.orderId,
      customerId: command.customerId,
      status: 'PENDING',
      items: [...command.items]
        .sort((a, b) => (a.productId < b.productId ? -1 : 1))
        .map((item) => ({ productId: item.productId, quantity: item.quantity, unitPrice: null })),
      totalAmount: null,
      shippingAddress: command.shippingAddress,
      trackingCompany: null,
      trackingNumber: null,
      rejectionReason: null,
      createdAt: at,
      updatedAt: at,
      version: 0,
    };
  }

  /** order-management's committed offsets on orders.commands, read from the broker now and then. */
  decisionsAt(committed: Map<number, number>): void {
    this.committed = committed;
    const at = this.now();
    let total = 0;
    for (const offset of committed.values()) total += Math.max(0, offset);
    this.decidedTotals.push([at, total]);
    while (this.decidedTotals.length > 2 && at - this.decidedTotals[1][0] >= DECISION_RATE_WINDOW_MS) this.decidedTotals.shift();
    // marks before the newest one at or below the committed offset are never needed again
    for (const [partition, marks] of this.timelines) {
      const offset = committed.get(partition) ?? 0;
      let keep = 0;
      while (keep + 1 < marks.length && marks[keep + 1][0] <= offset) keep++;
      if (keep > 0) marks.splice(0, keep);
    }
  }

  /**
   * How long the oldest undecided command has waited, in ms (0 when order-management has handled
   * everything this instance has read), to within TIMELINE_STEP_MS, erring long.
   */
  decisionLagMs(): number {
    let lag = 0;
    const now = this.now();
    for (const [partition, marks] of this.timelines) {
      const offset = this.committed.get(partition) ?? 0;
      if (offset >= (this.readUpTo.get(partition) ?? 0) || marks.length === 0) continue;
      // the newest mark at or below the committed offset was produced no later than the oldest undecided message
      let i = 0;
      while (i + 1 < marks.length && marks[i + 1][0] <= offset) i++;
      lag = Math.max(lag, now - marks[i][1]);
    }
    return lag;
  }

  /**
   * How long an order accepted now would wait to be decided, in ms (what admission control compares
   * with its bound): the longer of how long the oldest undecided order has waited (decisionLagMs) and,
   * once order-management is known to be busy, the undecided commands over the rate it has decided
   * at meanwhile. The wait alone reacts late: while the oldest order is young, orders come in at the
   * offered rate, k times the decision rate under k× overload, and the last of them waits k times as
   * long as the oldest has.
   */
  expectedWaitMs(): number {
    const lag = this.decisionLagMs();
    if (lag < BUSY_LAG_MS) return lag;
    // busy for at least `lag`: the rate over that time (at most the window) is what it can decide
    const since = this.now() - Math.min(lag, DECISION_RATE_WINDOW_MS);
    const first = this.decidedTotals.find(([at]) => at >= since);
    const last = this.decidedTotals[this.decidedTotals.length - 1];
    if (!first || !last || last[0] - first[0] < MIN_RATE_SPAN_MS) return lag;
    const perMs = (last[1] - first[1]) / (last[0] - first[0]);
    // nothing decided meanwhile: order-management is stopped or stuck, and the lag says for how long
    if (perMs <= 0) return lag;
    let undecided = 0;
    for (const [partition, readUpTo] of this.readUpTo) undecided += Math.max(0, readUpTo - Math.max(0, this.committed.get(partition) ?? 0));
    return Math.max(lag, undecided / perMs);
  }

  /** Undecided orders held, and their bytes (for metrics and tests). */
  size(): { orders: number; bytes: number } {
    return { orders: this.orders.size, bytes: this.bytes };
  }

  private mark(partition: number, offset: number, producedAt: number): void {
    this.readUpTo.set(partition, offset + 1);
    const marks = this.timelines.get(partition) ?? [];
    if (marks.length === 0 || producedAt - marks[marks.length - 1][1] >= TIMELINE_STEP_MS) marks.push([offset, producedAt]);
    this.timelines.set(partition, marks);
  }

  private stored(orderId: string): void {
    this.forget(orderId);
    this.decided.delete(orderId);
    this.decided.add(orderId);
    if (this.decided.size > MAX_DECIDED_REMEMBERED) this.decided.delete(this.decided.values().next().value as string);
  }

  private remember(orderId: string, value: Buffer | CreateOrderPayload, acceptedAt: number): void {
    // the first acceptance counts (a later one is a retry of the same order); a stored order is no longer PENDING
    if (this.orders.has(orderId) || this.decided.has(orderId)) return;
    const bytes = Buffer.isBuffer(value) ? value.length : 1_024 + 64 * value.items.length;
    this.orders.set(orderId, { value, acceptedAt, bytes });
    this.bytes += bytes;
    // oldest first (a Map iterates in insertion order): over the byte budget or too old
    const tooOld = this.now() - this.options.maxAgeMs;
    for (const [id, entry] of this.orders) {
      if (this.bytes <= this.options.maxBytes && entry.acceptedAt >= tooOld) break;
      this.forget(id);
    }
  }

  private forget(orderId: string): void {
    const entry = this.orders.get(orderId);
    if (!entry) return;
    this.orders.delete(orderId);
    this.bytes -= entry.bytes;
  }
}

function parseCommand(value: Buffer): CreateOrderPayload | undefined {
  try {
    return createOrderCommand(Envelope.parse(JSON.parse(value.toString('utf8'))));
  } catch {
    return undefined;
  }
}

/** The view's figures, read at scrape time: how far behind the decisions are, and what it holds. */
export function trackAcceptedOrders(view: Pick<AcceptedOrders, 'decisionLagMs' | 'expectedWaitMs' | 'size'>): void {
  new Gauge({
    name: 'orderline_expected_decision_wait_seconds',
    help: "How long an order accepted now would wait to be decided: the oldest undecided order's wait or, once order-management is busy, the undecided orders over its decision rate if longer (admission control refuses new orders above ADMISSION_MAX_DECISION_LAG_MS)",
    collect() {
      this.set(view.expectedWaitMs() / 1000);
    },
  });
  new Gauge({
    name: 'orderline_decision_lag_seconds',
    help: 'How long the oldest accepted, undecided order has waited',
    collect() {
      this.set(view.decisionLagMs() / 1000);
    },
  });
  new Gauge({
    name: 'orderline_accepted_undecided_orders',
    help: 'Accepted orders this gateway answers PENDING itself, and the bytes they take',
    labelNames: ['unit'],
    collect() {
      const { orders, bytes } = view.size();
      this.set({ unit: 'orders' }, orders);
      this.set({ unit: 'bytes' }, bytes);
    },
  });
}
