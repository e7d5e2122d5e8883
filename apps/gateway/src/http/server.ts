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

/** The gateway's listening sockets; `close` stops them all (as `http.Server.close`: open connections finish). */
export interface HttpListeners {
  readonly servers: http.Server[];
  close(): Promise<void>;
}

/**
 * Listens on `port` with `listeners` sockets at once (SO_REUSEPORT; the kernel spreads new
 * connections over them), each an HTTP server of the same app. Why more than one: node's libuv
 * accepts one connection per event-loop iteration and listening socket (libuv PR #3696), and under
 * overload an iteration takes 100–300 ms here, so a single socket took in 3–10 new connections a
 * second: a client that connected while hundreds of others reconnected waited 5–15 s before the
 * gateway read its request (measured: reads answered in ≤ 10 ms once taken, 600 of 600 timed out
 * at the client). With N sockets, N connections are taken in per iteration.
 *
 * Before binding with SO_REUSEPORT the port is bound once without it, so a port another process
 * holds still fails with EADDRINUSE instead of being silently shared with it. One socket where
 * SO_REUSEPORT is not available (not Linux).
 */
export async function listenHttp(
  app: express.Express,
  timeouts: HttpServerTimeouts,
  { port, host, backlog, listeners }: { port: number; host: string; backlog: number; listeners: number },
): Promise<HttpListeners> {
  const reusePort = listeners > 1 && port !== 0 && process.platform === 'linux';
  if (reusePort) await listenOn(http.createServer(), { port, host, backlog }).then((probe) => closeServer(probe));
  const servers: http.Server[] = [];
  try {
    for (let i = 0; i < (reusePort ? listeners : 1); i++) {
      servers.push(await listenOn(createHttpServer(app, timeouts), { port, host, backlog, reusePort }));
    }
  } catch (error) {
    await Promise.all(servers.map(closeServer));
    throw error;
  }
  return { servers, close: async () => void (await Promise.all(servers.map(closeServer))) };
}

function listenOn(
  server: http.Server,
  options: { port: number; host: string; backlog: number; reusePort?: boolean },
): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
