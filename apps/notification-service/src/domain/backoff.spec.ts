import { nextAttempt, retryDelayMs } from './backoff';

describe('retry schedule', () => {
  const policy = { baseMs: 10_000, maxDelayMs: 3_600_000, windowMs: 86_400_000 };

  it('doubles from the base up to the maximum; jitter takes half to all of it', () => {
    const lowest = (attempt: number) => retryDelayMs(attempt, policy, () => 0);
    const highest = (attempt: number) => retryDelayMs(attempt, policy, () => 1);
    expect([1, 2, 3, 4, 5].map(highest)).toEqual([10_000, 20_000, 40_000, 80_000, 160_000]);
    expect([1, 2, 3].map(lowest)).toEqual([5_000, 10_000, 20_000]);
    expect(highest(9)).toBe(2_560_000);
    expect(highest(10)).toBe(3_600_000);
    expect(highest(500)).toBe(3_600_000);
    for (let attempt = 1; attempt < 20; attempt++) {
      const delay = retryDelayMs(attempt, policy);
      expect(delay).toBeGreaterThanOrEqual(lowest(attempt));
      expect(delay).toBeLessThanOrEqual(highest(attempt));
    }
  });

  it('retries for the window and then gives up: about 30 attempts in 24 h with the defaults', () => {
    const start = new Date('2026-01-01T00:00:00Z');
    const giveUpAt = new Date(start.getTime() + policy.windowMs);
    let now = start;
    let attempts = 0;
    for (;;) {
      attempts++;
      const next = nextAttempt(attempts, now, giveUpAt, policy, () => 1);
      if ('giveUp' in next) break;
      expect(next.retryAt.getTime()).toBeGreaterThan(now.getTime());
      now = next.retryAt;
    }
    expect(now.getTime()).toBeLessThanOrEqual(giveUpAt.getTime());
    expect(now.getTime() + policy.maxDelayMs).toBeGreaterThan(giveUpAt.getTime());
    expect(attempts).toBeGreaterThan(25);
    expect(attempts).toBeLessThan(40);
  });
});
