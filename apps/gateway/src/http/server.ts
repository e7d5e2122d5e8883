import http from 'node:http';
import type express from 'express';

/** How long a client may take; see GatewayEnv's HTTP_*_TIMEOUT_MS for what each bounds. */
export interface HttpServerTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
}

/**
 * The HTTP server for the Express app: it cuts off slow clients (408 for headers or a request
 * body trickled in too slowly, a closed connection for one that stops reading or sits idle), and
 * builds request and response objects on Express' prototypes from the start.
 *
 * Node checks for expired header and request timeouts only every `connectionsCheckingInterval`
 * (30 s by default, which would let a 10 s headers timeout last 40 s), so it is checked at a
 * quarter of the headers timeout, at most once a second.
 *
 * Express gives every request and response its app's prototypes with `Object.setPrototypeOf`
 * (`app.handle`). On V8 that moves each object to a new hidden class and sends the property
 * accesses of node's HTTP code and Express' own through slow paths: measured here (node 20,
 * Express 5), a route that only answers costs ~90 µs of CPU per request that way and ~20 µs
 * when the objects already have those prototypes, because then setPrototypeOf changes nothing.
 * So the server constructs them from subclasses of node's IncomingMessage / ServerResponse whose
 * prototypes *are* the app's `request` / `response` (same methods, same `app`).
 */
export function createHttpServer(app: express.Express, timeouts: HttpServerTimeouts): http.Server {
  const IncomingMessage = withAppPrototype(app, 'request', http.IncomingMessage);
  const ServerResponse = withAppPrototype(app, 'response', http.ServerResponse);
  const server = http.createServer(
    {
      IncomingMessage,
      ServerResponse,
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(timeouts.headersTimeoutMs / 4)),
    },
    app,
  );
  // socket inactivity while a request is in flight; node destroys the socket when it expires
  server.setTimeout(timeouts.idleTimeoutMs);
  return server;
}

/** A subclass of `Base` whose prototype becomes the app's `request` / `response` object. */
function withAppPrototype<B extends typeof http.IncomingMessage | typeof http.ServerResponse>(
  app: express.Express,
  key: 'request' | 'response',
  Base: B,
): B {
  const Subclass = class extends (Base as new (...args: never[]) => object) {};
  // Express' prototype (req.get, res.json, …) sits between ours and node's, as in app[key]
  Object.setPrototypeOf(Subclass.prototype, Object.getPrototypeOf(app[key]));
  Object.defineProperty(Subclass.prototype, 'app', { configurable: true, enumerable: true, writable: true, value: app });
  (app as unknown as Record<string, object>)[key] = Subclass.prototype;
  return Subclass as unknown as B;
}
