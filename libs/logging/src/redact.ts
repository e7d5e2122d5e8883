/**
 * What logs must never carry: credentials (tokens, secrets, passwords in URLs) and customers'
 * full addresses. Applied to every log line by the logger, whatever a caller passes in, so a
 * careless `logger.info('…', { body })` cannot leak them.
 */

/** keys whose values are credentials: replaced entirely */
const SECRET_KEYS = /^(authorization|cookie|set-cookie|token|access_?token|refresh_?token|jwt|jwt_?secret|password|secret|api_?key)$/i;
/** keys whose values are addresses: only the country is kept */
const ADDRESS_KEYS = /^(shipping_?address|billing_?address|address)$/i;

const REDACTED = '[redacted]';

/** Masks bearer tokens, JWTs and passwords in connection URLs inside free text. */
function redactText(text: string): string {
  return text
    .replace(/\b(bearer)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`)
    .replace(/\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]+/g, REDACTED)
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']+):[^\s@/"']+@/gi, `$1:${REDACTED}@`);
}

function redactAddress(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const country = (value as Record<string, unknown>)['country'];
    return typeof country === 'string' ? { country, rest: REDACTED } : REDACTED;
  }
  return REDACTED;
}

/** The value to log under `key`: credentials and addresses masked, copies, never changed in place. */
export function redactField(key: string, value: unknown, depth = 0): unknown {
  if (SECRET_KEYS.test(key)) return REDACTED;
  if (ADDRESS_KEYS.test(key)) return redactAddress(value);
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 8 || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => redactField('', item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, redactField(k, item, depth + 1)]));
}
