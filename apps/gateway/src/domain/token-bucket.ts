/**
 * Token buckets, one per key (a customer): a bucket holds at most `capacity` tokens, refills at
 * `ratePerSecond`, and a request takes one token or is refused. Pure: the caller passes the time,
 * so tests control the clock.
 *
 * The rate and capacity are passed with every take rather than fixed per bucket, because this
 * instance's share of the limit changes when gateway instances come or go (see customer-limits.ts);
 * a bucket holding more than a smaller capacity is cut down to it.
 */
export interface BucketShare {
  ratePerSecond: number;
  capacity: number;
}

export interface TakeResult {
  allowed: boolean;
  /** tokens left after this take (fractional) */
  tokens: number;
  /** seconds until the bucket holds one whole token again (0 if it does now) */
  secondsUntilNext: number;
  /** seconds until the bucket is full again */
  secondsUntilFull: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** refills add fractions of a token: 0.9999999999 is a whole token that floating point lost */
const ROUNDING = 1e-9;

/** How often full buckets are forgotten (a full bucket is the same as none). */
const SWEEP_EVERY_MS = 10_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweepMs = -Infinity;

  /** Takes one token from `key`'s bucket if it has one. */
  take(key: string, nowMs: number, share: BucketShare): TakeResult {
    this.sweep(nowMs, share);
    const bucket = this.buckets.get(key);
    let tokens = bucket ? refilled(bucket, nowMs, share) : share.capacity;
    const allowed = tokens >= 1 - ROUNDING;
    if (allowed) tokens = Math.max(0, tokens - 1);
    if (bucket) {
      bucket.tokens = tokens;
      bucket.atMs = nowMs;
    } else {
      this.buckets.set(key, { tokens, atMs: nowMs });
    }
    return {
      allowed,
      tokens,
      secondsUntilNext: tokens >= 1 - ROUNDING ? 0 : (1 - tokens) / share.ratePerSecond,
      secondsUntilFull: (share.capacity - tokens) / share.ratePerSecond,
    };
  }

  /** buckets remembered (not yet full again) */
  get size(): number {
    return this.buckets.size;
  }

  /** Forgets buckets that have refilled: memory stays proportional to the customers active in the last few seconds. */
  private sweep(nowMs: number, share: BucketShare): void {
    if (nowMs - this.lastSweepMs < SWEEP_EVERY_MS) return;
    this.lastSweepMs = nowMs;
    for (const [key, bucket] of this.buckets) {
      if (refilled(bucket, nowMs, share) >= share.capacity) this.buckets.delete(key);
    }
  }
}

function refilled(bucket: Bucket, nowMs: number, share: BucketShare): number {
  const elapsedSec = Math.max(0, nowMs - bucket.atMs) / 1000;
  return Math.min(share.capacity, bucket.tokens + elapsedSec * share.ratePerSecond);
}
