import { Gauge } from 'prom-client';
import { Order, orderListCursor, type OrderStatus } from '@orderline/contracts';
import { readCacheReads } from '../domain/shared-read-cache';
import type { OrderChangesView, Subscription } from './order-changes';

/** The first page of one customer's orders, newest first: what `GET /api/v1/orders` asks without a cursor. */
export interface FirstPageQuery {
  customerId: string;
  status?: OrderStatus;
  limit: number;
}

export interface OrderListPage {
  items: Order[];
  nextCursor: string | null;
}

/** An order as a page takes it: the fields that place it, and the order as JSON (parsed when the page is read). */
interface Candidate {
  id: string;
  status: OrderStatus;
  createdAt: string;
  version: number;
  json: string;
  /** whether `json` is known to be an order as the contract has it (false, from orders.events: checked when first served) */
  checked: boolean;
}

interface Listed extends Candidate {
  bytes: number;
}

const candidateOf = (order: Order): Candidate => ({
  id: order.id,
  status: order.status,
  createdAt: order.createdAt,
  version: order.version,
  json: JSON.stringify(order),
  checked: true,
});

/** One customer's first page (of one status and limit), kept current off orders.events. */
class LivePage {
  readonly items = new Map<string, Listed>();
  /** orders that left the page (no longer of the status listed), with the version that made them leave */
  readonly left = new Map<string, number>();
  /** whether the customer has older orders than the page holds */
  more = false;
  bytes = EMPTY_PAGE_BYTES;
  loadedAt = 0;
  readAt = 0;
  /** changes read while the page was being loaded: applied on top of it once it is */
  early: Candidate[] | undefined = [];
  subscription?: Subscription;

  constructor(readonly query: FirstPageQuery) {}

  /**
   * An order of this customer as it now is (from orders.events, or a change through this
   * instance). A version at or below the one held changes nothing, so the order in which changes
   * arrive makes no difference.
   */
  apply(order: Candidate): void {
    if (this.early) {
      this.early.push(order);
      return;
    }
    const known = this.items.get(order.id);
    const leftAt = this.left.get(order.id);
    if ((known && known.version >= order.version) || (leftAt !== undefined && leftAt >= order.version)) return;
    if (this.query.status && order.status !== this.query.status) {
      if (known) this.remove(order.id);
      this.left.set(order.id, order.version);
      return;
    }
    // older than the page's last order: it belongs on a later page (read from order-management)
    const last = this.last();
    if (!known && this.more && last && !isNewer(order, last)) return;
    this.put(order);
  }

  /** The page order-management answered, then every change read since the request went out. */
  loaded(page: OrderListPage, at: number): void {
    for (const order of page.items) this.put(candidateOf(order));
    this.more = page.nextCursor !== null;
    this.loadedAt = at;
    const early = this.early ?? [];
    this.early = undefined;
    for (const order of early) this.apply(order);
  }

  /**
   * Whether the page can be answered as it is: not when orders left it and the customer has older
   * ones to fill it (order-management has them), nor when it tracks too many departures.
   */
  complete(): boolean {
    return !(this.more && this.items.size < this.query.limit) && this.left.size <= MAX_LEFT_TRACKED;
  }

  /** The page, newest first; undefined if an order on it, read from orders.events, is not one as the contract has it. */
  page(): OrderListPage | undefined {
    const sorted = [...this.items.values()].sort((a, b) => (isNewer(a, b) ? -1 : 1));
    const items: Order[] = [];
    for (const listed of sorted) {
      if (listed.checked) {
        items.push(JSON.parse(listed.json) as Order);
        continue;
      }
      const read = Order.safeParse(JSON.parse(listed.json));
      if (!read.success) return undefined;
      this.bytes -= listed.bytes;
      listed.json = JSON.stringify(read.data);
      listed.bytes = bytesOf(listed.json);
      listed.checked = true;
      this.bytes += listed.bytes;
      items.push(read.data);
    }
    const last = sorted[sorted.length - 1];
    return { items, nextCursor: this.more && last ? orderListCursor(last) : null };
  }

  private put(order: Candidate): void {
    this.remove(order.id);
    this.left.delete(order.id);
    const listed: Listed = { ...order, bytes: bytesOf(order.json) };
    this.items.set(listed.id, listed);
    this.bytes += listed.bytes;
    // a new order pushes the oldest off the page: it is on the next one now
    while (this.items.size > this.query.limit) {
      this.remove((this.last() as Listed).id);
      this.more = true;
    }
  }

  private remove(orderId: string): void {
    const listed = this.items.get(orderId);
    if (!listed) return;
    this.items.delete(orderId);
    this.bytes -= listed.bytes;
  }

  private last(): Listed | undefined {
    let last: Listed | undefined;
    for (const listed of this.items.values()) if (!last || isNewer(last, listed)) last = listed;
    return last;
  }
}

/** newest first, as order-management sorts: by createdAt, then id (both compare as strings: ISO times, lower-case uuids) */
function isNewer(a: Pick<Listed, 'createdAt' | 'id'>, b: Pick<Listed, 'createdAt' | 'id'>): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.id > b.id;
}

const EMPTY_PAGE_BYTES = 1_024;
const MAX_LEFT_TRACKED = 1_000;
const bytesOf = (json: string) => 2 * json.length + 200;

export interface OrderListsOptions {
  /** every change of every order this instance reads from orders.events */
  changes: Pick<OrderChangesView, 'subscribe'>;
  /** memory for the pages held (the least recently read go first) */
  maxBytes: number;
  /** a page not read for this long is let go */
  idleMs: number;
  /** a page is read again from order-management this long after it was (in the background: it is answered meanwhile) */
  refreshMs: number;
  now?: () => number;
}

/**
 * Customers' first pages of their order list ("my orders"), answered by this gateway instance: read
 * once from order-management, then kept current from the changes this instance follows on
 * orders.events (each carries the whole order), so a list, like a read of one order, does not wait
 * for order-management however far behind its decisions are (or whether it runs at all).
 *
 * Exact, not merely recent: the page is subscribed to the customer's changes before it is asked
 * for, so every change order-management stores after answering (its event is read after the request
 * went out) is applied on top of it, and every earlier one is in the answer already; versions decide
 * which is newer. Orders accepted but not stored yet are not listed (nor by order-management; a
 * read by id answers them PENDING). A page is read again from order-management every `refreshMs`, in the
 * background, and at once when orders left it (a status filter) and older ones must fill it.
 *
 * Later pages (a cursor) and admins' lists are order-management's to answer.
 *
 * Bounded: `maxBytes` of pages, the least recently read go first; a page unread for `idleMs` is let go.
 */
export class OrderLists {
  private readonly pages = new Map<string, LivePage>();
  private readonly byCustomer = new Map<string, Set<LivePage>>();
  private readonly loading = new Map<string, Promise<LivePage | OrderListPage>>();
  private bytes = 0;

  constructor(private readonly options: OrderListsOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The first page for `query`: held, or read from order-management by `fetch` (and held from then on). */
  async read(query: FirstPageQuery, fetch: () => Promise<OrderListPage>): Promise<OrderListPage> {
    const key = keyOf(query);
    this.letGoIdle();
    const live = this.pages.get(key);
    const held = live?.complete() ? this.serve(key, live) : undefined;
    if (held) {
      if (this.now() - (live as LivePage).loadedAt > this.options.refreshMs && !this.loading.has(key)) {
        this.load(key, query, fetch).catch(() => undefined);
      }
      readCacheReads.inc({ cache: 'order-lists', outcome: 'fresh' });
      return held;
    }
    readCacheReads.inc({ cache: 'order-lists', outcome: 'miss' });
    const loaded = await this.load(key, query, fetch);
    return loaded instanceof LivePage ? (this.serve(key, loaded) ?? (await fetch())) : loaded;
  }

  /** An order as a change through this instance left it: its customer's pages show it at once. */
  changed(order: Order): void {
    for (const live of this.byCustomer.get(order.customerId) ?? []) this.applyTo(live, candidateOf(order));
  }

  size(): { pages: number; bytes: number } {
    return { pages: this.pages.size, bytes: this.bytes };
  }

  /** Asks order-management (one request per page at a time), holding the page from then on if changes can be followed. */
  private load(key: string, query: FirstPageQuery, fetch: () => Promise<OrderListPage>): Promise<LivePage | OrderListPage> {
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const live = new LivePage(query);
    // unchecked: an order from orders.events is checked against the contract when the page is served, not for every event
    const subscription = this.options.changes.subscribe(
      { customerId: query.customerId },
      (change) =>
        this.applyTo(live, {
          id: change.orderId,
          status: change.status,
          createdAt: change.createdAt,
          version: change.version,
          json: change.json,
          checked: false,
        }),
      undefined,
      { unchecked: true },
    );
    // no position in orders.events yet (the follower is starting): answered, not held
    const followed = subscription && typeof subscription === 'object' ? subscription : undefined;
    live.subscription = followed;
    const startedAt = this.now();
    const loading = fetch()
      .then((page) => {
        if (!followed) return page;
        live.loaded(page, startedAt);
        this.hold(key, live);
        return live;
      })
      .catch((error: unknown) => {
        followed?.close();
        throw error;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, loading);
    return loading;
  }

  /** The held page, if it can be served (its orders read from orders.events check out); else it is let go. */
  private serve(key: string, live: LivePage): OrderListPage | undefined {
    const before = live.bytes;
    const page = live.page();
    if (this.pages.get(key) !== live) return page; // let go meanwhile (over the memory bound)
    this.bytes += live.bytes - before;
    if (!page) this.drop(key);
    else this.touch(key, live);
    return page;
  }

  private applyTo(live: LivePage, order: Candidate): void {
    const before = live.bytes;
    live.apply(order);
    if (this.pages.get(keyOf(live.query)) === live) {
      this.bytes += live.bytes - before;
      this.evictOverBudget();
    }
  }

  private hold(key: string, live: LivePage): void {
    this.drop(key);
    this.pages.set(key, live);
    const pages = this.byCustomer.get(live.query.customerId) ?? new Set<LivePage>();
    pages.add(live);
    this.byCustomer.set(live.query.customerId, pages);
    this.bytes += live.bytes;
    live.readAt = this.now();
    this.evictOverBudget();
  }

  private touch(key: string, live: LivePage): void {
    // re-inserted: a Map iterates in insertion order, so the least recently read come first
    this.pages.delete(key);
    this.pages.set(key, live);
    live.readAt = this.now();
  }

  private evictOverBudget(): void {
    for (const [key] of this.pages) {
      if (this.bytes <= this.options.maxBytes) break;
      this.drop(key);
    }
  }

  private letGoIdle(): void {
    const idleSince = this.now() - this.options.idleMs;
    for (const [key, live] of this.pages) {
      if (live.readAt >= idleSince) break;
      this.drop(key);
    }
  }

  private drop(key: string): void {
    const live = this.pages.get(key);
    if (!live) return;
    this.pages.delete(key);
    this.bytes -= live.bytes;
    live.subscription?.close();
    const pages = this.byCustomer.get(live.query.customerId);
    pages?.delete(live);
    if (pages?.size === 0) this.byCustomer.delete(live.query.customerId);
  }
}

const keyOf = (query: FirstPageQuery) => `${query.customerId} ${query.status ?? ''} ${query.limit}`;

/** What the view holds, read at scrape time. */
export function trackOrderLists(view: Pick<OrderLists, 'size'>): void {
  new Gauge({
    name: 'orderline_order_lists',
    help: "Customers' first pages of their order list this gateway answers itself, kept current from orders.events, and the bytes they take",
    labelNames: ['unit'],
    collect() {
      const { pages, bytes } = view.size();
      this.set({ unit: 'pages' }, pages);
      this.set({ unit: 'bytes' }, bytes);
    },
  });
}
