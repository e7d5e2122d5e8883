import { policyWindowSeconds, rateLimitField, rateLimitPolicyField, retryAfterSeconds } from './rate-limit-headers';

describe('RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-11)', () => {
  it('describes a token bucket by its burst over the seconds it takes to fill', () => {
    expect(rateLimitPolicyField({ name: 'orders', ratePerSecond: 100, burst: 200 })).toBe('"orders";q=200;w=2');
    expect(rateLimitPolicyField({ name: 'orders', ratePerSecond: 1, burst: 10 })).toBe('"orders";q=10;w=10');
    expect(rateLimitPolicyField({ name: 'orders', ratePerSecond: 5, burst: 5 })).toBe('"orders";q=5;w=1');
  });

  it('keeps the window a whole number of seconds, at least 1, and q/w the sustained rate', () => {
    expect(policyWindowSeconds({ name: 'orders', ratePerSecond: 100, burst: 50 })).toBe(1);
    expect(rateLimitPolicyField({ name: 'orders', ratePerSecond: 100, burst: 50 })).toBe('"orders";q=100;w=1');
    expect(rateLimitPolicyField({ name: 'orders', ratePerSecond: 0.5, burst: 1 })).toBe('"orders";q=1;w=2');
    expect(rateLimitPolicyField({ name: 'orders', ratePerSecond: 30, burst: 100 })).toBe('"orders";q=90;w=3');
  });

  it('says what is left as whole requests and whole seconds (down and up)', () => {
    expect(rateLimitField('orders', 57.9, 0.01)).toBe('"orders";r=57;t=1');
    expect(rateLimitField('orders', 0, 0)).toBe('"orders";r=0;t=0');
    expect(rateLimitField('orders', -0.2, 1.5)).toBe('"orders";r=0;t=2');
  });

  it('makes Retry-After whole seconds, never 0', () => {
    expect(retryAfterSeconds(0.01)).toBe(1);
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1.2)).toBe(2);
    expect(retryAfterSeconds(0)).toBe(1);
  });

  it('writes the policy name as a Structured Field String', () => {
    expect(rateLimitField('a "b" \\c', 1, 1)).toBe('"a \\"b\\" \\\\c";r=1;t=1');
    expect(() => rateLimitField('bestellungen-über', 1, 1)).toThrow(/printable ASCII/);
  });
});
