/** How failed deliveries are retried: exponential backoff with jitter, for a bounded window. */
export interface RetryPolicy {
  /** the delay before the first retry; doubles with every attempt */
  baseMs: number;
  maxDelayMs: number;
  /** how long after its event (or a retry through the API) a delivery is still retried */
  windowMs: number;
}

/**
 * The delay after the `attempt`-th failed attempt (1 = the first): base·2^(attempt-1), at most
 * maxDelayMs, of which a random half to all is taken ("equal jitter"), so receivers that failed
 * together are not all retried in the same instant while the delay still grows.
 */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxDelayMs'>, random: () => number = Math.random) {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** After a failed attempt: when to try again, or give up (the next try would fall after `giveUpAt`). */
export function nextAttempt(
  attempt: number,
  now: Date,
  giveUpAt: Date,
  policy: RetryPolicy,
  random: () => number = Math.random,
): { retryAt: Date } | { giveUp: true } {
  const retryAt = new Date(now.getTime() + retryDelayMs(attempt, policy, random));
  return retryAt.getTime() > giveUpAt.getTime() ? { giveUp: true } : { retryAt };
}
