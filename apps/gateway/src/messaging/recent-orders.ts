import { Gauge } from 'prom-client';
import { Order } from '@orderline/contracts';

/** An order's latest state (as JSON: held by the thousand, strings cost the garbage collector little), and when this instance learnt it. */
interface Latest {
  version: number;
  json: string;
  seenAt: number;
  bytes: number;
  /** whether `json` is known to be an order as the contract has it (false: checked when first read) */
  checked: boolean;
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

  /**
   * An order as it now is: read from orders.events (`checked` false: only its id and version were
   * looked at, the rest is checked if it is ever read), or as a change through this instance left it.
   */
  changed(order: Pick<Order, 'id' | 'version'> & { json?: string; checked?: boolean }): void {
    const known = this.orders.get(order.id);
    if (known && known.version >= order.version) return;
    this.forget(order.id); // re-inserted: a Map iterates in insertion order, so the newest change goes last
    const now = this.options.now?.() ?? Date.now();
    const json = order.json ?? JSON.stringify(order);
    const bytes = bytesOf(json);
    this.orders.set(order.id, { version: order.version, json, seenAt: now, bytes, checked: order.checked ?? true });
    this.bytes += bytes;
    const tooOld = now - this.options.maxAgeMs;
    for (const [id, entry] of this.orders) {
      if (this.bytes <= this.options.maxBytes && entry.seenAt >= tooOld) break;
      this.forget(id);
    }
  }

  /** The order's latest known state, if it changed recently (and is an order as the contract has it); undefined otherwise. */
  find(orderId: string): Order | undefined {
    const entry = this.orders.get(orderId);
    if (!entry) return undefined;
    if (entry.checked) return JSON.parse(entry.json) as Order;
    const read = Order.safeParse(JSON.parse(entry.json));
    if (!read.success) {
      this.forget(orderId); // order-management answers for it instead
      return undefined;
    }
    entry.json = JSON.stringify(read.data);
    entry.checked = true;
    return read.data;
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

/** what an entry takes: its JSON (two bytes a character) and the map's entry around it */
const bytesOf = (json: string) => 2 * json.length + 200;

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
