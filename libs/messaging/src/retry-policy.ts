import { BrokerUnavailableError, PublishRefusedError } from './publisher';
import { RequestTimeoutError, RequesterOverloadedError } from './request-reply';
import { PoisonMessageError } from './routes';

/** How long messages in hand wait out a dependency outage before they are dead-lettered (CONSUMER_MAX_OUTAGE_MS). */
export const DEFAULT_MAX_OUTAGE_MS = 120_000;

export interface RetryPolicyOptions {
  /** tries per message before it is dead-lettered (failures that are neither permanent nor transient) */
  maxAttempts?: number;
  /** how long messages in hand wait for a dependency that keeps failing transiently before they are dead-lettered */
  maxOutageMs?: number;
  /** first retry delay; doubles per attempt, capped at 5 s */
  retryDelayMs?: number;
  /** errors that retrying cannot cure (e.g. data the database refuses): dead-lettered at once */
  isPermanent?: (error: unknown) => boolean;
  /**
   * errors that say a dependency is down (database unreachable, …), not that the message is bad:
   * retried without using up attempts, for at most `maxOutageMs` (the partition waits), then
   * dead-lettered. Broker failures and request/reply timeouts always count as transient.
   */
  isTransient?: (error: unknown) => boolean;
}

/**
 * What a failure means for the message: `permanent` (dead-letter it at once), `transient` (a
 * dependency is down: wait, up to the outage deadline) or `retryable` (try again, up to
 * `maxAttempts` times).
 */
export type FailureKind = 'permanent' | 'transient' | 'retryable';

/** The consumer is stopping: a message waiting for its retry gives up (it stays uncommitted, so it comes again). */
export class ConsumerStoppingError extends Error {
  override name = 'ConsumerStoppingError';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** When a failed message is tried again and when it is given up: one policy for every consumer. */
export class RetryPolicy {
  readonly maxAttempts: number;
  readonly maxOutageMs: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly options: RetryPolicyOptions = {},
    /** true once the consumer stops: no more waiting */
    private readonly isStopping: () => boolean = () => false,
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxOutageMs = options.maxOutageMs ?? DEFAULT_MAX_OUTAGE_MS;
    this.retryDelayMs = options.retryDelayMs ?? 200;
  }

  kindOf(error: unknown): FailureKind {
    if (error instanceof PoisonMessageError || error instanceof PublishRefusedError || this.options.isPermanent?.(error)) {
      return 'permanent';
    }
    if (
      error instanceof BrokerUnavailableError ||
      error instanceof RequestTimeoutError ||
      error instanceof RequesterOverloadedError ||
      this.options.isTransient?.(error)
    ) {
      return 'transient';
    }
    return 'retryable';
  }

  /** Until when messages taken in hand now may wait out an outage. */
  outageDeadline(now = Date.now()): number {
    return now + this.maxOutageMs;
  }

  /** The wait before retry number `attempt` (1, 2, …): doubling from `retryDelayMs`, at most 5 s and never past `deadline`. */
  delayMs(attempt: number, deadline = Infinity, now = Date.now()): number {
    return Math.max(Math.min(this.retryDelayMs * 2 ** Math.min(attempt - 1, 10), 5_000, deadline - now), 0);
  }

  /** Waits before a retry; throws ConsumerStoppingError when the consumer stops meanwhile. */
  async backoff(attempt: number, deadline = Infinity): Promise<void> {
    await sleep(this.delayMs(attempt, deadline));
    if (this.isStopping()) throw new ConsumerStoppingError('consumer stopping');
  }
}
