/**
 * kafkajs 2.2.4 (the last release) re-arms a timer on every broker connection after each check of
 * its request queue, with nothing pending and a negative delay: node runs it after 1 ms, and it
 * re-arms itself again, forever (tulios/kafkajs#1556, #1704; the fix, PR #1667, was never
 * released). Every connection of every app woke its process about a thousand times a second for
 * nothing: measured here, ~750 context switches a second in an app that handled a few messages.
 *
 * `fixRequestQueueTimer` replaces that one method with the fixed one: a check is scheduled only
 * while requests wait (every 10 ms, or when a broker throttle ends); a request that cannot be
 * sent at once schedules one when it is queued, and every response checks the queue anyway.
 * Applied once by `createKafka`; the rest of kafkajs is untouched.
 */

/** The fields of kafkajs' RequestQueue (src/network/requestQueue) the fix reads and writes. */
export interface RequestQueueInternals {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' own interval between checks while requests wait */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  let delayMs: number;
  if (this.pending.length > 0) delayMs = untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (untilUnthrottled > 0) delayMs = untilUnthrottled;
  else return; // nothing waits and nothing is throttled: nothing to check (2.2.4 re-armed a 1 ms timer here)
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delayMs);
}

let applied = false;

/** Patches kafkajs' RequestQueue once per process; returns the class for tests. */
export function fixRequestQueueTimer(): { prototype: RequestQueueInternals } {
  // kafkajs is external to the esbuild bundles, so this is the same module the client uses.
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
  if (typeof RequestQueue.prototype.scheduleCheckPendingRequests !== 'function') {
    throw new Error('kafkajs RequestQueue has no scheduleCheckPendingRequests: review kafkajs-timer-fix.ts for this kafkajs version');
  }
  if (!applied) {
    RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
    applied = true;
  }
  return RequestQueue;
}
