import { BrokerUnavailableError, PublishRefusedError, PublisherOverloadedError } from './publisher';
import { RequestTimeoutError, RequesterOverloadedError } from './request-reply';
import { ConsumerStoppingError, DEFAULT_MAX_OUTAGE_MS, RetryPolicy } from './retry-policy';
import { PoisonMessageError } from './routes';

class DatabaseDown extends Error {}
class DataRefused extends Error {}

describe('RetryPolicy', () => {
  const policy = new RetryPolicy({
    isPermanent: (error) => error instanceof DataRefused,
    isTransient: (error) => error instanceof DatabaseDown,
  });

  it('names what a failure means: permanent, transient (a dependency is down) or retryable', () => {
    expect(policy.kindOf(new PoisonMessageError('bad payload'))).toBe('permanent');
    expect(policy.kindOf(new PublishRefusedError('too large', 'MESSAGE_TOO_LARGE'))).toBe('permanent');
    expect(policy.kindOf(new DataRefused())).toBe('permanent');
    expect(policy.kindOf(new BrokerUnavailableError('away'))).toBe('transient');
    expect(policy.kindOf(new PublisherOverloadedError('full'))).toBe('transient');
    expect(policy.kindOf(new RequestTimeoutError('no reply'))).toBe('transient');
    expect(policy.kindOf(new RequesterOverloadedError('busy'))).toBe('transient');
    expect(policy.kindOf(new DatabaseDown())).toBe('transient');
    expect(policy.kindOf(new Error('bug'))).toBe('retryable');
  });

  it('defaults: 5 attempts, a 2-minute outage, delays doubling from 200 ms up to 5 s', () => {
    expect(policy.maxAttempts).toBe(5);
    expect(policy.maxOutageMs).toBe(DEFAULT_MAX_OUTAGE_MS);
    expect(policy.outageDeadline(1_000)).toBe(1_000 + 120_000);
    expect([1, 2, 3, 4, 5, 6, 30].map((attempt) => policy.delayMs(attempt, Infinity, 0))).toEqual([
      200, 400, 800, 1_600, 3_200, 5_000, 5_000,
    ]);
  });

  it('never waits past the outage deadline', () => {
    expect(policy.delayMs(3, 1_300, 1_000)).toBe(300);
    expect(policy.delayMs(3, 900, 1_000)).toBe(0);
  });

  it('gives up waiting once the consumer stops', async () => {
    let stopping = false;
    const stoppable = new RetryPolicy({ retryDelayMs: 1 }, () => stopping);
    await expect(stoppable.backoff(1)).resolves.toBeUndefined();
    stopping = true;
    await expect(stoppable.backoff(1)).rejects.toBeInstanceOf(ConsumerStoppingError);
  });
});
