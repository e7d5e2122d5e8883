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
/** How often order-management's committed offsets and the log's end are read (main.ts): how fresh the figures below are. */
export const DECISIONS_READ_EVERY_MS = 250;
/** The decision rate is measured over at most this long, and at least BUSY_MIN_MS. */
const DECISION_RATE_WINDOW_MS = 5_000;
/**
 * ... and over the last this long of it too, the slower of the two counting: a database stalling
 * for seconds (seen here under overload) slows the decisions now, and a 5 s average says so late.
 */
const RECENT_RATE_WINDOW_MS = 2_000;
/**
 * The decision rate counts only once order-management has been busy this long without a pause:
 * then it says what order-management can decide, not what was asked of it (an idle system decides
 * slowly, and a burst of a few hundred orders, decided in a moment, must not look like a backlog).
 */
const BUSY_MIN_MS = 1_000;
/**
 * ... and only once that busy time holds this many decisions: a few hundred orders decided in
 * large batches (each committed at once) give a rate too noisy to refuse anyone on (an e2e test
 * of 64 connections on a slow machine got 503s from it); below it, the oldest order's wait decides.
 */
const MIN_DECISIONS_FOR_RATE = 1_000;

/** One reading: when, and order-management's committed offsets and the log's end, summed over partitions. */
interface DecisionsReading {
  at: number;
  committed: number;
  end: number;
  /** this instance's admissions counted when the reading was asked for (`admittedCount`) */
  admitted: number;
}

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
  /** readings over the last DECISION_RATE_WINDOW_MS (and the one before): the decision rate */
  private readings: DecisionsReading[] = [];
  /** orders this instance has accepted since it started */
  private admitted = 0;

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
    this.admitted++;
    this.remember(command.orderId, command, this.now());
  }

  /** How many orders this instance has accepted since it started (a reading of the decisions notes it when asked for). */
  admittedCount(): number {
    return this.admitted;
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

  /**
   * order-management's committed offsets on orders.commands and where the topic ends, per
   * partition, read from the broker now and then (the ends, not what this instance has read: its
   * reading may fall behind under load, the broker's figures do not).
   */
  decisionsAt(committed: Map<number, number>, ends: Map<number, number>, admittedBefore = this.admitted): void {
    this.committed = committed;
    const at = this.now();
    let committedSum = 0;
    let endSum = 0;
    for (const [partition, end] of ends) {
      const offset = Math.max(0, committed.get(partition) ?? 0);
      committedSum += Math.min(offset, end);
      endSum += end;
    }
    this.readings.push({ at, committed: committedSum, end: endSum, admitted: admittedBefore });
    while (this.readings.length > 2 && at - this.readings[1].at >= DECISION_RATE_WINDOW_MS) this.readings.shift();
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
   * once order-management has been busy for BUSY_MIN_MS, the undecided commands over the rate it has
   * decided at meanwhile (the slower of the last DECISION_RATE_WINDOW_MS and the last
   * RECENT_RATE_WINDOW_MS). The wait alone reacts late: while the oldest order is young, orders come in at the
   * offered rate, k times the decision rate under k× overload, and the last of them waits k times as
   * long as the oldest has.
   */
  expectedWaitMs(): number {
    const lag = this.decisionLagMs();
    const last = this.readings[this.readings.length - 1];
    if (!last) return lag;
    // back from the last reading while order-management was busy in between: it had not reached,
    // by the later reading, where the log ended at the earlier one (so it never ran out of work)
    let first = last;
    for (let i = this.readings.length - 2; i >= 0; i--) {
      const earlier = this.readings[i];
      if (this.readings[i + 1].committed >= earlier.end) break;
      first = earlier;
    }
    if (last.at - first.at < BUSY_MIN_MS || last.committed - first.committed < MIN_DECISIONS_FOR_RATE) return lag;
    const recent = this.readings.find((reading) => reading.at >= first.at && reading.at >= last.at - RECENT_RATE_WINDOW_MS) ?? first;
    const rate = (from: DecisionsReading) => (last.at > from.at ? (last.committed - from.committed) / (last.at - from.at) : Infinity);
    const perMs = Math.min(rate(first), rate(recent));
    // nothing decided meanwhile: order-management is stopped or stuck, and the lag says for how long
    if (perMs <= 0) return lag;
    // what this instance accepted since the reading was asked for is not in it (the broker's answer
    // and the next reading take a while, and at 2× overload a quarter second is ~1,000 orders)
    const undecided = last.end - last.committed + (this.admitted - last.admitted);
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
