import { createHmac, timingSafeEqual } from 'node:crypto';
import { newWebhookSecret, signatureHeader, verifySignature } from './signature';

/**
 * The recipe as a receiver would write it from the docs alone (OpenAPI `webhooks`): nothing of
 * this app's code, only node:crypto.
 */
function receiverVerifies(secret: string, rawBody: string, header: string, nowSeconds: number): boolean {
  const fields = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  const t = Number(fields['t']);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${fields['t']}.${rawBody}`).digest();
  const given = Buffer.from(fields['v1'] ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhook signatures', () => {
  const secret = newWebhookSecret();
  const body = JSON.stringify({ id: 'e1', type: 'OrderConfirmed', data: { order: { id: 'o1', note: 'Grüße ✓' } } });
  const now = 1_770_000_000;

  it('is t=<unix seconds>,v1=<64 hex>, which a receiver following the documented recipe verifies', () => {
    const header = signatureHeader(secret, body, now);
    expect(header).toMatch(/^t=1770000000,v1=[0-9a-f]{64}$/);
    expect(receiverVerifies(secret, body, header, now + 10)).toBe(true);
    expect(verifySignature(secret, body, header, { nowSeconds: now + 10 })).toBe(true);
  });

  it('fails for another body, another secret, another time, or a time too old', () => {
    const header = signatureHeader(secret, body, now);
    expect(receiverVerifies(secret, body.replace('o1', 'o2'), header, now)).toBe(false);
    expect(verifySignature(secret, body.replace('o1', 'o2'), header, { nowSeconds: now })).toBe(false);
    expect(verifySignature(newWebhookSecret(), body, header, { nowSeconds: now })).toBe(false);
    expect(verifySignature(secret, body, header.replace(`t=${now}`, `t=${now + 1}`), { nowSeconds: now })).toBe(false);
    expect(verifySignature(secret, body, header, { nowSeconds: now + 301 })).toBe(false);
    expect(receiverVerifies(secret, body, header, now + 301)).toBe(false);
    expect(verifySignature(secret, body, 'garbage', { nowSeconds: now })).toBe(false);
  });

  it('makes secrets of 32 random bytes, never the same twice', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
