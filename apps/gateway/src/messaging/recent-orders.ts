import { Gauge } from 'prom-client';
import { Envelope, Topics, type Order } from '@orderline/contracts';
import type { FollowedMessage } from '@orderline/messaging';
import { orderOfEvent } from './order-events';

/** An order's latest state: the event as it travels (parsed only when read), or an order this instance changed. */
interface Latest {
  value: Buffer | Order;
  version: number;
  seenAt: number;
  bytes: number;
}

/**
 * The latest state of every order changed recently, as every gateway instance follows them from
 * `orders.events` (each event carries the whole order as `GET` shows it). Reads of these orders
 * (a customer checking the order it just placed, the commonest read) are answered here, so they
 * never wait for order-management, however busy its decisions keep it.
 *
 * As fresh as this instance's reading of the log (milliseconds behind, normally); a change made
 * through this instance is readable at once (`changed`). A higher version always wins, so an
 * older event read after a newer reply does not turn the clock back.
 *
 * Bounded: at most `maxBytes` (the oldest go first) and none older than `maxAgeMs`; an order that
 * fell out is read from order-management like any other.
 */
export class RecentOrders {
  private readonly orders = new Map<string, Latest>();
  private bytes = 0;

  constructor(private readonly options: { maxBytes: number; maxAgeMs: number; now?: () => number }) {}

  /** Takes in messages followed from `orders.events` (others are ignored). */
  follow(messages: FollowedMessage[]): void {
    for (const message of messages) {
      if (message.topic !== Topics.orderEvents || !message.key || !message.value) continue;
      const version = versionOf(message.value);
      if (version !== undefined) this.remember(message.key, message.value, version);
    }
  }

  /** An order as a change through this instance left it: readable at once (read-your-writes). */
  changed(order: Order): void {
    this.remember(order.id, order, order.version);
  }

  /** The order's latest known state, if it changed recently; undefined otherwise. */
  find(orderId: string): Order | undefined {
    const entry = this.orders.get(orderId);
    if (!entry) return undefined;
    if (!Buffer.isBuffer(entry.value)) return entry.value;
    const order = parseEventOrder(entry.value);
    if (!order) {
      this.forget(orderId); // not an event order-management wrote: read it from order-management
      return undefined;
    }
    return order;
  }

  /** Orders held, and their bytes (for metrics and tests). */
  size(): { orders: number; bytes: number } {
    return { orders: this.orders.size, bytes: this.bytes };
  }

  private remember(orderId: string, value: Buffer | Order, version: number): void {
    const known = this.orders.get(orderId);
    if (known && known.version >= version) return;
    this.forget(orderId); // re-inserted: a Map iterates in insertion order, so the newest change goes last
    const now = this.options.now?.() ?? Date.now();
    const bytes = Buffer.isBuffer(value) ? value.length : 1_024 + 64 * value.items.length;
    this.orders.set(orderId, { value, version, seenAt: now, bytes });
    this.bytes += bytes;
    const tooOld = now - this.options.maxAgeMs;
    for (const [id, entry] of this.orders) {
      if (this.bytes <= this.options.maxBytes && entry.seenAt >= tooOld) break;
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

/** The order's version from an event, without validating the rest (that happens when it is read). */
function versionOf(value: Buffer): number | undefined {
  try {
    const version = (JSON.parse(value.toString('utf8')) as { payload?: { order?: { version?: unknown } } }).payload?.order?.version;
    return typeof version === 'number' && Number.isInteger(version) ? version : undefined;
  } catch {
    return undefined;
  }
}

function parseEventOrder(value: Buffer): Order | undefined {
  try {
    return orderOfEvent(Envelope.parse(JSON.parse(value.toString('utf8'))));
  } catch {
    return undefined;
  }
}

/** What the view holds, read at scrape time. */
export function trackRecentOrders(view: Pick<RecentOrders, 'size'>): void {
  new Gauge({
    name: 'orderline_recent_orders',
    help: 'Recently changed orders this gateway answers itself from orders.events, and the bytes they take',
    labelNames: ['unit'],
    collect() {
      const { orders, bytes } = view.size();
      this.set({ unit: 'orders' }, orders);
      this.set({ unit: 'bytes' }, bytes);
    },
  });
}
