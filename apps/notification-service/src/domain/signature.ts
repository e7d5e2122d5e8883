import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Orderline-Signature: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. The time
 * is signed with the body, so a receiver that refuses old `t` values is safe from replays.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${hmacHex(secret, `${unixSeconds}.${body}`)}`;
}

const hmacHex = (secret: string, text: string) => createHmac('sha256', secret).update(text, 'utf8').digest('hex');

/**
 * A receiver's check, the documented recipe: parse t and v1, recompute the HMAC over
 * `<t>.<raw body>` (the bytes received, before any JSON parsing), compare in constant time, and
 * refuse a t further than `toleranceSeconds` from now.
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  { nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = 300 } = {},
): boolean {
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1)) return false;
  return timingSafeEqual(Buffer.from(v1, 'hex'), Buffer.from(hmacHex(secret, `${t}.${body}`), 'hex'));
}

/** A new signing secret: 32 random bytes, `whsec_` + base64url. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;
