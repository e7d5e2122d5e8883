/**
 * The IETF RateLimit header fields, as of draft-ietf-httpapi-ratelimit-headers-11 (May 2026; -10
 * has the same syntax): both fields are Structured Field lists of items named by the policy,
 *   RateLimit-Policy: "orders";q=200;w=2   the policy: a quota of q requests per window of w seconds
 *   RateLimit: "orders";r=57;t=1           now: r requests left, within t seconds
 * (Older drafts, -06 and before, had RateLimit-Limit / -Remaining / -Reset instead.)
 *
 * A token bucket has no fixed window, so it is described by what it allows over the time it
 * takes to fill: `q` = the burst, `w` = burst ÷ rate seconds (at least 1, whole seconds as the
 * draft requires), which also gives the sustained rate q ÷ w. `t` is when the quota is whole
 * again, or, when nothing is left, when the next request is allowed: the same moment as
 * Retry-After, as the draft asks of a response carrying both.
 */

export interface RateLimitPolicy {
  name: string;
  ratePerSecond: number;
  burst: number;
}

export function policyWindowSeconds({ ratePerSecond, burst }: RateLimitPolicy): number {
  return Math.max(1, Math.round(burst / ratePerSecond));
}

/** `"orders";q=200;w=2` */
export function rateLimitPolicyField(policy: RateLimitPolicy): string {
  const window = policyWindowSeconds(policy);
  const quota = Math.max(1, Math.round(policy.ratePerSecond * window));
  return `${quotedName(policy.name)};q=${quota};w=${window}`;
}

/** `"orders";r=57;t=1`: `remaining` requests (rounded down), `seconds` rounded up. */
export function rateLimitField(name: string, remaining: number, seconds: number): string {
  return `${quotedName(name)};r=${Math.max(0, Math.floor(remaining))};t=${Math.max(0, Math.ceil(seconds))}`;
}

/** Retry-After in delay-seconds: whole seconds, at least 1. */
export function retryAfterSeconds(seconds: number): number {
  return Math.max(1, Math.ceil(seconds));
}

/** A Structured Field String: printable ASCII with `"` and `\` escaped. */
function quotedName(name: string): string {
  if (!/^[\x20-\x7e]*$/.test(name)) throw new Error(`a policy name must be printable ASCII: ${name}`);
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
