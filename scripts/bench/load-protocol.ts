/**
 * Messages between the measuring process (bench.ts / load.ts) and the load generator process
 * (load-worker.ts). The load generator runs in a child process so that autocannon's event loop
 * is not shared with anything the bench measures.
 */

/** parent → worker: what to send */
export interface LoadConfig {
  url: string;
  connections: number;
  warmupSec: number;
  durationSec: number;
  /** after the measured window, at most this long is spent collecting the answers of in-flight POSTs */
  drainMaxSec: number;
  products: number;
  lines: number;
  /** customer ids, with one token each, used in rotation */
  customers: string[];
  tokens: string[];
  /** tags every request (x-correlation-id and shippingAddress.line1) so DB rows can be matched to requests */
  runId: string;
}

export type Phase = 'warmup' | 'measure';

/**
 * One POST /api/v1/orders as the load generator saw it. Compact tuple to keep IPC small:
 * [seq, phase, customer index, sentAt (epoch ms, fractional), latency ms (-1 = no answer), status (0 = no answer), order id ('' = none)]
 */
export type RequestTuple = [number, 0 | 1, number, number, number, number, string];

export interface RequestRecord {
  seq: number;
  phase: Phase;
  customerId: string;
  /** client wall-clock time when the request was handed to the socket, epoch ms */
  sentAt: number;
  /** HTTP latency: send → complete response, ms; undefined when no answer arrived */
  latencyMs: number | undefined;
  /** HTTP status; undefined when no answer arrived (timeout, connection error) */
  status: number | undefined;
  /** the order id of a 202 */
  orderId: string | undefined;
}

export interface LoadSummary {
  /** epoch ms: load started (warm-up begins) */
  startedAt: number;
  /** epoch ms: measured window begins (end of warm-up) */
  measureStartedAt: number;
  /** epoch ms: measured window ends (no POST is sent after it) */
  measureEndedAt: number;
  /** epoch ms: load generator stopped (after the drain) */
  endedAt: number;
  /** health-check GETs sent during the drain (keep connections busy without creating orders) */
  drainRequests: number;
  /** 202s whose body had no order id: the accepted set would be incomplete */
  accepted202WithoutId: number;
  /** responses whose x-correlation-id did not name a request we sent */
  unmatchedResponses: number;
  /** times a connection waited out a 503's Retry-After before its next request (closed loop only) */
  retryAfterPauses?: number;
  /** connection errors by code (ECONNREFUSED, ECONNRESET, …); each drops the request in flight */
  connectionErrors: Record<string, number>;
  /** non-202 bodies, a few per status, for diagnosis */
  sampleErrors: Record<string, string>;
  /** autocannon's own counters */
  autocannon: { errors: number; timeouts: number; sent: number };
}

export type WorkerMessage =
  | { type: 'records'; records: RequestTuple[] }
  | { type: 'done'; summary: LoadSummary }
  | { type: 'failed'; error: string };

/** parent → open-loop worker (`--overload`): POSTs at a fixed arrival rate, whatever the answers take */
export interface OpenLoopConfig extends Omit<LoadConfig, 'connections'> {
  /** POSTs per second, at evenly spaced intended send times */
  ratePerSec: number;
  /** reads per second, during the measured window, each prompted by a 202 */
  readsPerSec: number;
  /** 'order': every read GETs the order just accepted; 'mixed': in turn that, its customer's order list, a catalog page */
  readMix: 'order' | 'mixed';
  /** sockets to the gateway: requests beyond this many in flight wait in the client (reported) */
  maxSockets: number;
}

/** What the reader GETs: the just-accepted order; that customer's order list; a catalog page. */
export const READ_KINDS = ['order', 'list', 'catalog'] as const;
export type ReadKind = (typeof READ_KINDS)[number];

/**
 * A read: [sent at (epoch ms), latency ms (-1 = no answer), status (0 = no answer), 1 if it read
 * PENDING (an order from the gateway's own view) else 0, index in READ_KINDS].
 */
export type ReadTuple = [number, number, number, number, number];

/** open-loop.ts → reader: read this order now; or: no more reads, send what you saw */
export type ReaderRequest = { type: 'read'; orderId: string; token: string } | { type: 'finish' };

/** reader → open-loop.ts */
export interface ReaderMessage {
  type: 'reads';
  reads: ReadTuple[];
  /** connection errors of reads by code */
  errors: Record<string, number>;
}

export interface OpenLoopSummary extends LoadSummary {
  /** most POSTs and GETs in flight at once (POSTs: at most maxSockets) */
  maxInFlight: number;
  /** most POSTs waiting for a free socket at once (the system answered slower than they arrived) */
  maxWaiting: number;
  /** POSTs still waiting for a socket when the drain ended: never sent (counted as no answer) */
  neverSent: number;
  /** POSTs the generator issued more than 50 ms after their intended time (its event loop was behind: CPU) */
  lateSends: number;
}

export type OpenLoopMessage =
  | { type: 'records'; records: RequestTuple[] }
  | { type: 'read'; orderId: string; token: string }
  | { type: 'done'; summary: OpenLoopSummary }
  | { type: 'failed'; error: string };
