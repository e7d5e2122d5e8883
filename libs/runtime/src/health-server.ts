import http from 'node:http';
import type { Logger } from '@orderline/logging';
import { renderMetrics } from './metrics';

/** A named readiness check: resolves true when the dependency answers. */
export type ReadinessCheck = () => Promise<boolean>;

/**
 * Serves `GET /health/live` (200 while the process runs), `GET /health/ready` (200 when every
 * check passes, else 503 naming the failing ones) and `GET /metrics` (Prometheus) for apps that
 * have no HTTP API of their own.
 */
export function startHealthServer(options: {
  host: string;
  port: number;
  checks: Record<string, ReadinessCheck>;
  logger: Logger;
}): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = req.url?.split('?')[0];
    if (req.method === 'GET' && url === '/health/live') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && url === '/metrics') {
      void renderMetrics().then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType });
          res.end(body);
        },
        (error: unknown) => sendJson(res, 500, { status: 'error', error: String(error) }),
      );
      return;
    }
    if (req.method === 'GET' && url === '/health/ready') {
      void runChecks(options.checks).then(({ ready, checks }) =>
        sendJson(res, ready ? 200 : 503, {
          status: ready ? 'ok' : 'unavailable',
          checks,
        }),
      );
      return;
    }
    sendJson(res, 404, { status: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      options.logger.info('health endpoints listening', {
        url: `http://${options.host}:${options.port}/health/ready`,
      });
      resolve(server);
    });
  });
}

export async function runChecks(
  checks: Record<string, ReadinessCheck>,
): Promise<{ ready: boolean; checks: Record<string, 'up' | 'down'> }> {
  const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await check().catch(() => false)] as const));
  return {
    ready: results.every(([, up]) => up),
    checks: Object.fromEntries(results.map(([name, up]) => [name, up ? 'up' : 'down'])),
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
