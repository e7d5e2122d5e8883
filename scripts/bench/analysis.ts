/**
 * Turns what the load generator saw (requests, 202 ids, send times, HTTP latencies) and what
 * Postgres holds (final statuses, updated_at, the rows tagged with this run) into the bench's
 * numbers. Pure functions, no I/O.
 *
 * Scopes:
 *   - throughput, latency, rejections, non-202s: the MEASURED window only (warm-up excluded);
 *   - lost / duplicated: EVERY request of the run (warm-up included) — correctness has no warm-up.
 */
import type { LoadResult } from './load';
import type { FinalWait, TaggedRow } from './orders-db';
import type { RequestRecord } from './load-protocol';
import { countBy, percentile } from './stats';

export interface Distribution {
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
  count: number;
}

export interface Metrics {
  /** POSTs sent per phase */
  sentWarmup: number;
  sentMeasured: number;
  /** measured window, seconds (end of warm-up → last POST) */
  windowSec: number;
  accepted: number;
  acceptedPerSec: number;
  acceptedWarmup: number;
  /** measured orders by final status */
  finalByStatus: Record<string, number>;
  confirmed: number;
  /** confirmed / (last measured order final (updated_at) − first measured 202 received) */
  confirmedPerSec: number | undefined;
  e2eWindowSec: number | undefined;
  rejectedByReason: Record<string, number>;
  /** HTTP: send → 202 received (ms) */
  acceptLatency: Distribution;
  /** client send time → orders.updated_at of the final status (ms) */
  finalLatency: Distribution;
  /** 202 received → orders.updated_at of the final status (ms): how long the system took to decide what it had accepted */
  decidedAfter202: Distribution;
  /** the same per 5 s of the measured window, by when the 202 was received: where in the run the long waits were */
  decidedAfter202BySlice: { fromSec: number; wait: Distribution }[];
  /** client send time → orders.created_at (stored PENDING) (ms) */
  storedLatency: Distribution;
  non202Measured: Record<string, number>;
  non202Warmup: Record<string, number>;
  /** POSTs that never got an answer (timeouts, connection errors) — whole run */
  noAnswer: number;
  /** lost = accepted (202) but not in `orders`, or still PENDING at the deadline — whole run */
  lostNotFound: number;
  lostStillPending: number;
  /** duplicated — whole run */
  repeatedIdsIn202: number;
  extraRowsPerRequest: number;
  rowsNotMatching202: number;
  /** rows of requests that got no 202 (no answer / error status): stored although not acknowledged */
  storedWithout202: number;
  /** final orders whose row was written once, already final (updated_at = created_at) */
  writtenFinal: number;
  settledAfterLoadSec: number;
}

/** the measured window's slices for decidedAfter202BySlice, seconds */
const SLICE_SEC = 5;

const distribution = (values: number[]): Distribution => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  max: values.length ? values.reduce((a, b) => Math.max(a, b), -Infinity) : undefined,
  count: values.length,
});

const isAccepted = (r: RequestRecord): r is RequestRecord & { orderId: string } => r.status === 202 && r.orderId !== undefined;

export function analyse(load: LoadResult, wait: FinalWait, tagged: TaggedRow[]): Metrics {
  const { summary, records } = load;
  const measured = records.filter((r) => r.phase === 'measure');
  const warmup = records.filter((r) => r.phase === 'warmup');
  const acceptedMeasured = measured.filter(isAccepted);
  const acceptedAll = records.filter(isAccepted);
  const windowSec = (summary.measureEndedAt - summary.measureStartedAt) / 1000;

  // end to end: measured orders that became final, and when
  const finals = acceptedMeasured.flatMap((r) => {
    const row = wait.final.get(r.orderId);
    return row ? [{ record: r, row }] : [];
  });
  const confirmed = finals.filter((f) => f.row.status === 'CONFIRMED').length;
  const firstAccept = acceptedMeasured.reduce((min, r) => Math.min(min, r.sentAt + (r.latencyMs ?? 0)), Infinity);
  const lastFinal = finals.reduce((max, f) => Math.max(max, f.row.updatedAt.getTime()), -Infinity);
  const e2eWindowSec = finals.length && acceptedMeasured.length ? (lastFinal - firstAccept) / 1000 : undefined;

  return {
    sentWarmup: warmup.length,
    sentMeasured: measured.length,
    windowSec,
    accepted: acceptedMeasured.length,
    acceptedPerSec: acceptedMeasured.length / windowSec,
    acceptedWarmup: warmup.filter(isAccepted).length,
    finalByStatus: countBy(finals, (f) => f.row.status),
    confirmed,
    confirmedPerSec: e2eWindowSec && e2eWindowSec > 0 ? confirmed / e2eWindowSec : undefined,
    e2eWindowSec,
    rejectedByReason: countBy(
      finals.filter((f) => f.row.status === 'REJECTED'),
      (f) => f.row.rejectionReason ?? 'none',
    ),
    acceptLatency: distribution(acceptedMeasured.map((r) => r.latencyMs ?? 0)),
    finalLatency: distribution(finals.map((f) => f.row.updatedAt.getTime() - f.record.sentAt)),
    decidedAfter202: distribution(finals.map((f) => f.row.updatedAt.getTime() - (f.record.sentAt + (f.record.latencyMs ?? 0)))),
    decidedAfter202BySlice: Array.from({ length: Math.ceil(windowSec / SLICE_SEC) }, (_, i) => {
      const from = summary.measureStartedAt + i * SLICE_SEC * 1000;
      const inSlice = finals.filter((f) => {
        const acceptedAt = f.record.sentAt + (f.record.latencyMs ?? 0);
        return acceptedAt >= from && acceptedAt < from + SLICE_SEC * 1000;
      });
      return {
        fromSec: i * SLICE_SEC,
        wait: distribution(inSlice.map((f) => f.row.updatedAt.getTime() - (f.record.sentAt + (f.record.latencyMs ?? 0)))),
      };
    }),
    storedLatency: distribution(finals.map((f) => f.row.createdAt.getTime() - f.record.sentAt)),
    non202Measured: countBy(
      measured.filter((r) => r.status !== undefined && r.status !== 202),
      (r) => String(r.status),
    ),
    non202Warmup: countBy(
      warmup.filter((r) => r.status !== undefined && r.status !== 202),
      (r) => String(r.status),
    ),
    noAnswer: records.filter((r) => r.status === undefined).length,
    lostNotFound: wait.notFound.length,
    lostStillPending: wait.stillPending.length,
    ...duplicates(acceptedAll, records, tagged),
    writtenFinal: finals.filter((f) => f.row.updatedAt.getTime() <= f.row.createdAt.getTime()).length,
    settledAfterLoadSec: (wait.endedAt - summary.endedAt) / 1000,
  };
}

/**
 * Duplicates, from two sides:
 *  - the 202s: every accepted id must be unique;
 *  - the rows: each request (customer, seq — the signature in shippingAddress.line1) must have at
 *    most one row, and for an accepted request that row must carry the id of its 202.
 */
function duplicates(accepted: (RequestRecord & { orderId: string })[], records: RequestRecord[], tagged: TaggedRow[]) {
  const repeatedIdsIn202 = accepted.length - new Set(accepted.map((r) => r.orderId)).size;
  const bySeq = new Map(records.map((r) => [r.seq, r]));
  const rowsPerRequest = countBy(tagged, (row) => `${row.customerId}/${row.seq}`);
  const extraRowsPerRequest = Object.values(rowsPerRequest).reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  let rowsNotMatching202 = 0;
  let storedWithout202 = 0;
  for (const row of tagged) {
    const request = bySeq.get(row.seq);
    if (!request || request.customerId !== row.customerId) rowsNotMatching202++;
    else if (request.status !== 202) storedWithout202++;
    else if (request.orderId !== row.id && rowsPerRequest[`${row.customerId}/${row.seq}`] === 1) rowsNotMatching202++;
  }
  return { repeatedIdsIn202, extraRowsPerRequest, rowsNotMatching202, storedWithout202 };
}

export const duplicatedTotal = (m: Metrics) => m.repeatedIdsIn202 + m.extraRowsPerRequest + m.rowsNotMatching202;
export const lostTotal = (m: Metrics) => m.lostNotFound + m.lostStillPending;
