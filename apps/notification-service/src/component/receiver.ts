import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookHeaders } from '@orderline/contracts';

/** One request a test receiver got. */
export interface Received {
  eventId: string;
  eventType: string;
  signature: string;
  body: string;
  at: number;
}

/** What the receiver does with a request: answer with a status (and body), or never answer. */
export type Answer = number | { status: number; body: string } | 'hang';

/**
 * A webhook receiver on 127.0.0.1 for tests: records every request (headers and raw body) and
 * answers as `answer` says, given the request and how many of its event it has seen (1 = the first).
 */
export async function startReceiver(answer: (request: Received, nth: number) => Answer = () => 200) {
  const received: Received[] = [];
  let open = 0;
  let maxOpen = 0;
  const server = http.createServer((req, res) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    res.on('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Received = {
        eventId: String(req.headers[WebhookHeaders.eventId.toLowerCase()]),
        eventType: String(req.headers[WebhookHeaders.eventType.toLowerCase()]),
        signature: String(req.headers[WebhookHeaders.signature.toLowerCase()]),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(request);
      const result = answer(request, received.filter((r) => r.eventId === request.eventId).length);
      if (result === 'hang') return;
      const { status, body } = typeof result === 'number' ? { status: result, body: '' } : result;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/e2e-webhooks/receiver`,
    received,
    /** requests open right now, and the most open at once */
    get open() {
      return open;
    },
    get maxOpen() {
      return maxOpen;
    },
    eventIds: () => received.map((r) => r.eventId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
