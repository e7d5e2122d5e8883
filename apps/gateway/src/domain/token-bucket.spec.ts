import { TokenBuckets } from './token-bucket';

/** The clock is the caller's: every test moves it by hand. */
const share = { ratePerSecond: 100, capacity: 200 };

describe('TokenBuckets', () => {
  it('allows a full burst at once, then refuses until a token has come back', () => {
    const buckets = new TokenBuckets();
    for (let i = 0; i < 200; i++) expect(buckets.take('CUST01', 1_000, share).allowed).toBe(true);
    const refused = buckets.take('CUST01', 1_000, share);
    expect(refused).toMatchObject({ allowed: false, tokens: 0 });
    expect(refused.secondsUntilNext).toBeCloseTo(0.01); // one token at 100/s
    expect(refused.secondsUntilFull).toBeCloseTo(2);
    expect(buckets.take('CUST01', 1_009, share).allowed).toBe(false);
    expect(buckets.take('CUST01', 1_010, share).allowed).toBe(true);
  });

  it('refills at the rate, never beyond the capacity', () => {
    const buckets = new TokenBuckets();
    for (let i = 0; i < 200; i++) buckets.take('CUST01', 0, share);
    // 0.5 s later: 50 tokens back
    let allowed = 0;
    while (buckets.take('CUST01', 500, share).allowed) allowed++;
    expect(allowed).toBe(50);
    // idle for a minute: full again, not 6,000
    const after = buckets.take('CUST01', 60_500, share);
    expect(after.tokens).toBe(199);
    expect(after.secondsUntilNext).toBe(0);
  });

  it('keeps one bucket per key: one customer emptying theirs leaves the others full', () => {
    const buckets = new TokenBuckets();
    while (buckets.take('CUST01', 0, share).allowed);
    expect(buckets.take('CUST02', 0, share)).toMatchObject({ allowed: true, tokens: 199 });
  });

  it('sustains exactly the rate over time', () => {
    const buckets = new TokenBuckets();
    let allowed = 0;
    // 1,000 attempts a second for 10 s, one every millisecond
    for (let ms = 0; ms < 10_000; ms++) if (buckets.take('CUST01', ms, share).allowed) allowed++;
    expect(allowed).toBe(200 + 999); // the burst, then 100/s for the 9.99 s after the first take
  });

  it('applies a smaller share at once (an instance joined), cutting the tokens down to it', () => {
    const buckets = new TokenBuckets();
    buckets.take('CUST01', 0, share);
    const half = { ratePerSecond: 50, capacity: 100 };
    expect(buckets.take('CUST01', 0, half).tokens).toBe(99);
    let allowed = 0;
    while (buckets.take('CUST01', 0, half).allowed) allowed++;
    expect(allowed).toBe(99);
    expect(buckets.take('CUST01', 0, half).secondsUntilNext).toBeCloseTo(0.02);
  });

  it('forgets buckets that have refilled (memory follows the active customers)', () => {
    const buckets = new TokenBuckets();
    for (let i = 0; i < 1_000; i++) buckets.take(`C${i}`, 0, share);
    expect(buckets.size).toBe(1_000);
    buckets.take('C0', 5_000, share); // the 1,000 are full again, swept on a take 10 s after the last sweep
    expect(buckets.size).toBe(1_000);
    buckets.take('C0', 20_000, share);
    expect(buckets.size).toBe(1);
  });
});
