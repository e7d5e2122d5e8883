import { z } from 'zod';
import {
  CreateOrderAccepted,
  Order,
  OrderEventTypes,
  type CreateOrderBody,
  type ListOrdersQuery,
  type OrderStatus,
  type UpdateOrderBody,
} from '@orderline/contracts';
import { OrderlineProblem, WaitForOrderError } from './problem';
import { readEventStream } from './sse';

export interface OrderlineClientOptions {
  /** the gateway, e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  /** the bearer token (a JWT), or how to get a current one */
  token?: string | (() => string | Promise<string>);
  /** default: the global fetch (Node 20+) */
  fetch?: typeof fetch;
}

const OrderPage = z.object({ items: z.array(Order), nextCursor: z.string().nullable() });
export type OrderPage = z.infer<typeof OrderPage>;
export type CreateOrderResult = z.infer<typeof CreateOrderAccepted>;

/** One event of an order stream: its type (`OrderState` first, then `OrderConfirmed`, …), the order as it became, its resumable id. */
export interface OrderStreamEvent {
  id?: string;
  type: 'OrderState' | (typeof OrderEventTypes)[number];
  order: Order;
}

export interface StreamOptions {
  /** resume after this event (its `id`) */
  lastEventId?: string;
  signal?: AbortSignal;
  /** every id the stream sets, also without an event (the position a stream of all changes starts at): it is live */
  onId?(id: string): void;
}

export interface WaitForOrderOptions {
  /** what to wait for: statuses, or a test; default: the order has left PENDING */
  until?: OrderStatus[] | ((order: Order) => boolean);
  /** default 30 s */
  timeoutMs?: number;
  /** use long-polls only (clients that cannot hold a stream) */
  longPollOnly?: boolean;
}

const TERMINAL: ReadonlySet<OrderStatus> = new Set(['REJECTED', 'CANCELLED', 'DELIVERED']);

/**
 * A typed client of the orderline API (fetch-based; Node 20+ or a browser). Answers are parsed
 * with the contracts' zod schemas; an error answer throws `OrderlineProblem`.
 */
export class OrderlineClient {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: OrderlineClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** POST /api/v1/orders: accepted as PENDING (202); with `idempotencyKey` the same order however often it is sent. */
  async createOrder(body: z.input<typeof CreateOrderBody>, options: { idempotencyKey?: string } = {}): Promise<CreateOrderResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    const res = await this.request('POST', '/api/v1/orders', { headers, body: JSON.stringify(body) });
    return CreateOrderAccepted.parse(await res.json());
  }

  /**
   * GET /api/v1/orders/:id. With `waitSeconds` a long-poll (`Prefer: wait=N`, at most 30): answered
   * as soon as the order leaves PENDING, or after N seconds as it is.
   */
  async getOrder(id: string, options: { waitSeconds?: number; signal?: AbortSignal } = {}): Promise<Order> {
    return (await this.pollOrder(id, options)).order;
  }

  /** GET of one order, and whether the gateway honoured the wait (Preference-Applied): it does not when its stream bounds are full. */
  private async pollOrder(id: string, options: { waitSeconds?: number; signal?: AbortSignal }): Promise<{ order: Order; waited: boolean }> {
    const headers: Record<string, string> = {};
    if (options.waitSeconds) headers['prefer'] = `wait=${Math.min(30, Math.max(1, Math.ceil(options.waitSeconds)))}`;
    const res = await this.request('GET', `/api/v1/orders/${encodeURIComponent(id)}`, { headers, signal: options.signal });
    return { order: Order.parse(await res.json()), waited: res.headers.has('preference-applied') };
  }

  /** GET /api/v1/orders: one page, newest first (`nextCursor` for the next). */
  async listOrders(query: Partial<z.input<typeof ListOrdersQuery>> = {}): Promise<OrderPage> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    const search = params.size > 0 ? `?${params}` : '';
    const res = await this.request('GET', `/api/v1/orders${search}`);
    return OrderPage.parse(await res.json());
  }

  /** PATCH /api/v1/orders/:id; `ifMatch`: only while the order is at this version (else a 412 problem). */
  async updateOrder(id: string, body: z.input<typeof UpdateOrderBody>, options: { ifMatch?: number | '*' } = {}): Promise<Order> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...ifMatch(options.ifMatch) };
    const res = await this.request('PATCH', `/api/v1/orders/${encodeURIComponent(id)}`, { headers, body: JSON.stringify(body) });
    return Order.parse(await res.json());
  }

  /** DELETE /api/v1/orders/:id: cancels (repeating it is harmless). */
  async cancelOrder(id: string, options: { ifMatch?: number | '*' } = {}): Promise<Order> {
    const res = await this.request('DELETE', `/api/v1/orders/${encodeURIComponent(id)}`, { headers: ifMatch(options.ifMatch) });
    return Order.parse(await res.json());
  }

  /** GET /api/v1/orders/:id/events: the order at once (`OrderState`), then every change; ends after a terminal status. */
  streamOrder(id: string, options: StreamOptions = {}): AsyncGenerator<OrderStreamEvent> {
    return this.stream(`/api/v1/orders/${encodeURIComponent(id)}/events`, options);
  }

  /** GET /api/v1/orders/events: every change of the caller's orders (an admin: all, or one customer's) until `signal` aborts. */
  streamOrders(options: StreamOptions & { customerId?: string } = {}): AsyncGenerator<OrderStreamEvent> {
    const search = options.customerId ? `?customerId=${encodeURIComponent(options.customerId)}` : '';
    return this.stream(`/api/v1/orders/events${search}`, options);
  }

  /**
   * Resolves with the order once `until` holds (default: it has left PENDING). Follows the order's
   * event stream; where a stream cannot be had (refused for its bounds, cut, or a proxy that does not
   * pass it) it long-polls instead. Throws WaitForOrderError after `timeoutMs`, or when the order
   * reached a terminal status without `until` holding; OrderlineProblem for an error answer (404, …).
   */
  async waitForOrder(id: string, options: WaitForOrderOptions = {}): Promise<Order> {
    const until = options.until ?? ((order: Order) => order.status !== 'PENDING');
    const holds = typeof until === 'function' ? until : (order: Order) => until.includes(order.status);
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
    let last: Order | undefined;
    const check = (order: Order): Order | undefined => {
      last = order;
      if (holds(order)) return order;
      if (TERMINAL.has(order.status)) {
        throw new WaitForOrderError(`order ${id} is ${order.status}: what was waited for can no longer happen`, order, 'final');
      }
      return undefined;
    };
    try {
      if (!options.longPollOnly) {
        try {
          for await (const event of this.stream(`/api/v1/orders/${encodeURIComponent(id)}/events`, { signal: abort.signal })) {
            const found = check(event.order);
            if (found) return found;
          }
        } catch (error) {
          // a stream the gateway refused for its bounds, or one that broke: long-poll instead; other problems are the answer
          const fallBack =
            !(error instanceof WaitForOrderError) &&
            !abort.signal.aborted &&
            (!(error instanceof OrderlineProblem) || error.status === 429 || error.status === 503 || error.status === 406);
          if (!fallBack) throw error;
        }
      }
      while (!abort.signal.aborted) {
        const waitSeconds = Math.min(30, Math.ceil((deadline - Date.now()) / 1000));
        if (waitSeconds <= 0) break;
        const { order, waited } = await this.pollOrder(id, { waitSeconds, signal: abort.signal });
        const found = check(order);
        if (found) return found;
        // answered at once although undecided (the gateway holds as many waits as it may): poll, but not in a tight loop
        if (!waited) await sleep(POLL_INTERVAL_MS, abort.signal);
      }
    } catch (error) {
      if (!abort.signal.aborted || error instanceof WaitForOrderError) throw error;
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    throw new WaitForOrderError(`order ${id} was not as waited for within ${options.timeoutMs ?? 30_000} ms`, last, 'timeout');
  }

  private async *stream(path: string, options: StreamOptions): AsyncGenerator<OrderStreamEvent> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    const res = await this.request('GET', path, { headers, signal: options.signal });
    if (!res.body || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await res.body?.cancel();
      throw new OrderlineProblem({
        status: 406,
        type: 'about:blank',
        title: 'Not an event stream',
        detail: `GET ${path} did not answer with text/event-stream`,
      });
    }
    for await (const event of readEventStream(res.body, options.onId)) {
      yield { id: event.id, type: event.event as OrderStreamEvent['type'], order: Order.parse(JSON.parse(event.data)) };
    }
  }

  private async request(
    method: string,
    path: string,
    init: { headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    const token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    if (token) headers['authorization'] = `Bearer ${token}`;
    const res = await this.fetch(`${this.baseUrl}${path}`, { method, headers, body: init.body, signal: init.signal });
    if (!res.ok) throw await OrderlineProblem.from(res);
    return res;
  }
}

/** How often waitForOrder polls when the gateway does not hold its long-polls. */
const POLL_INTERVAL_MS = 250;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

function ifMatch(version: number | '*' | undefined): Record<string, string> {
  if (version === undefined) return {};
  return { 'if-match': version === '*' ? '*' : `"${version}"` };
}
