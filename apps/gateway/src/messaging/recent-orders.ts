import { Gauge } from 'prom-client';
import type { Order } from '@orderline/contracts';

/** An order's latest state, and when this instance learnt it. */
interface Latest {
  order: Order;
  seenAt: number;
  bytes: number;
}

/**
 * The latest state of every order changed recently, as every gateway instance follows them from
 * `orders.events` (each event carries the whole order as `GET` shows it; main.ts subscribes this
 * view to every change OrderChanges reads, so each event is parsed once). Reads of these orders
 * (a customer checking the order it just placed, the commonest read) are answered here, so they
 * never wait for order-management, however busy its decisions keep it.
 *
 * As fresh as this instance's reading of the log (milliseconds behind, normally); a change made
 * through this instance is readable at once. A higher version always wins, so an older event read
 * after a newer reply does not turn the clock back.
 *
 * Bounded: at most `maxBytes` (the least recently changed go first) and none older than
 * `maxAgeMs`; an order that fell out is read from order-management like any other.
 */
export class RecentOrders {
  private readonly orders = new Map<string, Latest>();
  private bytes = 0;

  constructor(private readonly options: { maxBytes: number; maxAgeMs: number; now?: () => number }) {}

  /** An order as it now is: read from orders.events, or as a change through this instance left it. */
  changed(order: Order): void {
    const known = this.orders.get(order.id);
    if (known && known.order.version >= order.version) return;
    this.forget(order.id); // re-inserted: a Map iterates in insertion order, so the newest change goes last
    const now = this.options.now?.() ?? Date.now();
    const bytes = 1_024 + 64 * order.items.length;
    this.orders.set(order.id, { order, seenAt: now, bytes });
    this.bytes += bytes;
    const tooOld = now - this.options.maxAgeMs;
    for (const [id, entry] of this.orders) {
      if (this.bytes <= this.options.maxBytes && entry.seenAt >= tooOld) break;
      this.forget(id);
    }
  }

  /** The order's latest known state, if it changed recently; undefined otherwise. */
  find(orderId: string): Order | undefined {
    return this.orders.get(orderId)?.order;
  }

  /** Orders held, and their bytes (for metrics and tests). */
  size(): { orders: number; bytes: number } {
    return { orders: this.orders.size, bytes: this.bytes };
  }

  private forget(orderId: string): void {
    const entry = this.orders.get(orderId);
    if (!entry) return;
    this.orders.delete(orderId);
    this.bytes -= entry.bytes;
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
