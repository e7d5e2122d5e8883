import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import express from 'express';
import { createHttpServer, listenHttp, type HttpServerTimeouts } from './server';

const production: HttpServerTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
};

async function withServer(app: express.Express, timeouts: HttpServerTimeouts, test: (port: number, server: http.Server) => Promise<void>) {
  const server = createHttpServer(app, timeouts);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await test((server.address() as AddressInfo).port, server);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A raw TCP client: what it was sent, and when the server closed the connection. */
function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const started = Date.now();
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<{ afterMs: number; received: string }>((resolve) =>
    socket.on('close', () => resolve({ afterMs: Date.now() - started, received })),
  );
  /** writes `pieces` one by one, `everyMs` apart, until the connection closes */
  const trickle = (pieces: Iterable<string>, everyMs: number) => {
    const iterator = pieces[Symbol.iterator]();
    const timer = setInterval(() => {
      const next = iterator.next();
      if (next.done || socket.destroyed) clearInterval(timer);
      else socket.write(next.value);
    }, everyMs);
    socket.on('close', () => clearInterval(timer));
  };
  return { socket, closed, trickle, received: () => received };
}

function* forever(piece: (i: number) => string) {
  for (let i = 0; ; i++) yield piece(i);
}

describe('createHttpServer', () => {
  it("builds requests and responses on the app's prototypes, so Express never has to change them", async () => {
    const app = express();
    app.use(express.json());
    app.post('/echo', (req, res) => {
      res
        .status(201)
        .location('/somewhere')
        .json({ body: req.body, header: req.get('x-probe'), sameApp: req.app === app });
    });
    await withServer(app, production, async (port, server) => {
      const seen: { request: object | null; response: object | null }[] = [];
      // runs before Express' handler: what setPrototypeOf in app.handle would replace
      server.prependListener('request', (req, res) =>
        seen.push({ request: Object.getPrototypeOf(req), response: Object.getPrototypeOf(res) }),
      );
      const response = await fetch(`http://127.0.0.1:${port}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-probe': 'p' },
        body: JSON.stringify({ a: 1 }),
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toBe('/somewhere');
      expect(await response.json()).toEqual({ body: { a: 1 }, header: 'p', sameApp: true });
      expect(seen).toEqual([{ request: app.request, response: app.response }]);
    });
  });
});

describe('createHttpServer cuts off slow clients', () => {
  const timeouts: HttpServerTimeouts = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 1_000, idleTimeoutMs: 500 };
  // Node checks header and request deadlines every quarter of the headers timeout; the rest is a loaded machine's slack
  const slack = 1_500;
  let handled: string[];
  const app = express();
  app.use((req, _res, next) => {
    handled.push(`${req.method} ${req.path}`);
    next();
  });
  app.get('/ok', (_req, res) => {
    res.send('ok');
  });
  app.post('/echo', express.json(), (req, res) => {
    res.json(req.body);
  });
  beforeEach(() => (handled = []));

  it('a client trickling its headers (slowloris) gets 408 after HTTP_HEADERS_TIMEOUT_MS, and the app never sees the request', async () => {
    await withServer(app, timeouts, async (port) => {
      const client = connect(port);
      client.socket.write('GET /ok HTTP/1.1\r\nHost: x\r\n');
      client.trickle(
        forever((i) => `X-Slow-${i}: y\r\n`),
        25,
      );
      const { afterMs, received } = await client.closed;
      expect(received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(afterMs).toBeGreaterThanOrEqual(timeouts.headersTimeoutMs - 20);
      expect(afterMs).toBeLessThan(timeouts.headersTimeoutMs + slack);
      expect(handled).toEqual([]);
    });
  });

  it('a client that connects and sends nothing is cut off after HTTP_HEADERS_TIMEOUT_MS too', async () => {
    await withServer(app, timeouts, async (port) => {
      const { afterMs, received } = await connect(port).closed;
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(afterMs).toBeGreaterThanOrEqual(timeouts.headersTimeoutMs - 20);
      expect(afterMs).toBeLessThan(timeouts.headersTimeoutMs + slack);
    });
  });

  it('a body trickled slower than HTTP_REQUEST_TIMEOUT_MS allows gets 408 and the connection closed', async () => {
    await withServer(app, timeouts, async (port) => {
      const client = connect(port);
      // 1,000 bytes at one per 25 ms would take 25 s
      client.socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
      client.trickle(
        forever((i) => (i === 0 ? '"' : 'a')),
        25,
      );
      const { afterMs, received } = await client.closed;
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(afterMs).toBeGreaterThanOrEqual(timeouts.requestTimeoutMs - 20);
      expect(afterMs).toBeLessThan(timeouts.requestTimeoutMs + slack);
      expect(handled).toEqual(['POST /echo']);
    });
  });

  it('a prompt client is served as usual, and its idle keep-alive connection closed after HTTP_KEEP_ALIVE_TIMEOUT_MS (plus the 1 s node adds)', async () => {
    await withServer(app, timeouts, async (port) => {
      const client = connect(port);
      client.socket.write(
        'GET /ok HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}',
      );
      const { afterMs, received } = await client.closed;
      const responses = received.split(/(?=HTTP\/1\.1 )/);
      expect(responses.map((r) => r.split('\r\n')[0])).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
      expect(responses[1]).toMatch(/\r\nKeep-Alive: timeout=1\r\n\r\n\{"a":1\}$/);
      expect(afterMs).toBeGreaterThanOrEqual(timeouts.keepAliveTimeoutMs);
      expect(afterMs).toBeLessThan(timeouts.keepAliveTimeoutMs + 1_000 + slack);
      expect(handled).toEqual(['GET /ok', 'POST /echo']);
    });
  });

  it('a client that stops reading its response is disconnected after HTTP_IDLE_TIMEOUT_MS', async () => {
    const big = express();
    let responseClosed: (outcome: { afterMs: number; finished: boolean }) => void = () => undefined;
    const response = new Promise<{ afterMs: number; finished: boolean }>((resolve) => (responseClosed = resolve));
    big.get('/big', (_req, res) => {
      const started = Date.now();
      res.on('close', () => responseClosed({ afterMs: Date.now() - started, finished: res.writableFinished }));
      // far more than the socket buffers hold: writes stall once the client stops reading
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let left = 16 * 1024; // 1 GiB
      const write = () => {
        while (left-- > 0) if (!res.write(chunk)) return void res.once('drain', write);
        res.end();
      };
      write();
    });
    await withServer(big, timeouts, async (port) => {
      const client = connect(port);
      client.socket.pause();
      client.socket.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
      const { afterMs, finished } = await response;
      client.socket.destroy();
      expect(finished).toBe(false);
      expect(afterMs).toBeGreaterThanOrEqual(timeouts.idleTimeoutMs - 20);
      expect(afterMs).toBeLessThan(timeouts.idleTimeoutMs + slack);
    });
  });
});

describe('listenHttp', () => {
  const freePort = async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
  };
  const app = () => {
    const handler = express();
    handler.get('/ok', (_req, res) => void res.send('ok'));
    return handler;
  };

  /** How many event-loop iterations the server took to accept `count` connections made at once while each iteration costs 20 ms. */
  async function iterationsToAccept(listeners: number, count: number): Promise<{ iterations: number; accepted: number }> {
    const port = await freePort();
    const served = await listenHttp(app(), production, { port, host: '127.0.0.1', backlog: 1_024, listeners });
    let iteration = 0;
    const acceptedAt: number[] = [];
    for (const server of served.servers) server.on('connection', () => acceptedAt.push(iteration));
    const busy = setInterval(() => {
      iteration++;
      const until = Date.now() + 20;
      while (Date.now() < until);
    }, 0);
    const sockets = Array.from({ length: count }, () => net.connect(port, '127.0.0.1').on('error', () => undefined));
    try {
      const deadline = Date.now() + 30_000;
      while (acceptedAt.length < count && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      return { iterations: new Set(acceptedAt).size, accepted: acceptedAt.length };
    } finally {
      clearInterval(busy);
      for (const socket of sockets) socket.destroy();
      for (const server of served.servers) server.closeAllConnections();
      await served.close();
    }
  }

  it('with several sockets takes in several new connections per event-loop iteration (node takes one per socket)', async () => {
    const one = await iterationsToAccept(1, 60);
    const eight = await iterationsToAccept(8, 60);
    // one socket: about one connection per iteration (two may share a count when the busy timer was not yet due)
    expect(one.accepted).toBe(60);
    expect(one.iterations).toBeGreaterThanOrEqual(40);
    expect(eight.accepted).toBe(60);
    expect(eight.iterations).toBeLessThanOrEqual(one.iterations / 2);
  }, 60_000);

  it('answers on every socket, and close stops them all', async () => {
    const port = await freePort();
    const served = await listenHttp(app(), production, { port, host: '127.0.0.1', backlog: 64, listeners: 4 });
    expect(served.servers).toHaveLength(4);
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/ok`).then((res) => res.text())));
    expect(answers).toEqual(Array(20).fill('ok'));
    for (const server of served.servers) server.closeAllConnections();
    await served.close();
    await expect(fetch(`http://127.0.0.1:${port}/ok`)).rejects.toThrow();
  });

  it('refuses a port another process holds (EADDRINUSE), instead of sharing it through SO_REUSEPORT', async () => {
    const port = await freePort();
    const other = await listenHttp(app(), production, { port, host: '127.0.0.1', backlog: 64, listeners: 4 });
    try {
      await expect(listenHttp(app(), production, { port, host: '127.0.0.1', backlog: 64, listeners: 4 })).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await other.close();
    }
  });
});
