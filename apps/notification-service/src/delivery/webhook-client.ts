import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { WebhookHeaders } from '@orderline/contracts';
import { signatureHeader } from '../domain/signature';
import { hostAddress, isPublicAddress, urlProblem, type UrlPolicy } from '../domain/webhook-url';

/** What one attempt came to: a 2xx is delivered; anything else (or no status) is retried. */
export interface AttemptResult {
  statusCode: number | null;
  /** why it failed (no 2xx), at most ~500 characters */
  error: string | null;
}

export interface WebhookRequest {
  url: string;
  secret: string;
  eventId: string;
  eventType: string;
  body: string;
}

/** The most of a response body read (into an error text); the rest is never read. */
export const MAX_RESPONSE_BYTES = 1_024;

/**
 * POSTs one signed webhook request. Bounded: the whole exchange takes at most `timeoutMs` (then the
 * socket is destroyed), at most MAX_RESPONSE_BYTES of the answer are read, redirects are not
 * followed. In production the address connected to is checked at connect time (a DNS lookup hook),
 * so a name that resolves to a private address since registration is refused.
 */
export function sendWebhook(
  request: WebhookRequest,
  { timeoutMs, policy, now = () => Date.now() }: { timeoutMs: number; policy: UrlPolicy; now?: () => number },
): Promise<AttemptResult> {
  const refused = urlProblem(request.url, policy);
  if (refused) return Promise.resolve({ statusCode: null, error: `URL refused: ${refused}` });
  const url = new URL(request.url);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(request.body)),
    'user-agent': 'orderline-webhooks/1',
    [WebhookHeaders.eventId]: request.eventId,
    [WebhookHeaders.eventType]: request.eventType,
    [WebhookHeaders.signature]: signatureHeader(request.secret, request.body, Math.floor(now() / 1000)),
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ statusCode: result.statusCode, error: result.error?.slice(0, 500) ?? null });
    };
    const req = client.request(url, {
      method: 'POST',
      headers,
      agent: false,
      // an IP literal is never looked up: urlProblem checked it above
      ...(policy.production && !hostAddress(url.hostname) ? { lookup: publicOnlyLookup } : {}),
    });
    const timer = setTimeout(() => finish({ statusCode: null, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ statusCode: null, error: error.code ? `${error.code}: ${error.message}` : error.message }),
    );
    req.on('response', (res) => {
      const statusCode = res.statusCode ?? 0;
      if (statusCode >= 200 && statusCode < 300) return finish({ statusCode, error: null });
      // a few bytes of the answer say why; never more
      const chunks: Buffer[] = [];
      let length = 0;
      const done = () => finish({ statusCode, error: `HTTP ${statusCode}${length ? `: ${Buffer.concat(chunks).toString('utf8')}` : ''}` });
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - length));
        length += Math.min(chunk.length, MAX_RESPONSE_BYTES - length);
        if (length >= MAX_RESPONSE_BYTES) done();
      });
      res.on('end', done);
      res.on('error', done);
    });
    req.end(request.body);
  });
}

/** dns.lookup that fails for a name resolving to any non-public address (production's connect-time check). */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused || addresses.length === 0) {
      const reason = Object.assign(new Error(`${hostname} resolves to a non-public address (${refused?.address ?? 'none'})`), {
        code: 'EADDRNOTPUBLIC',
      });
      return callback(reason, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};
