import type { Request, RequestHandler } from 'express';
import { Histogram } from 'prom-client';
import { renderMetrics } from '@orderline/runtime';

const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests served by the gateway, by method, route pattern and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

/**
 * The route a request matched, as its pattern (`/api/v1/orders/:id`), never the raw path: the
 * label set stays bounded whatever clients send. Requests no route matched share `unmatched`.
 */
export function routeLabel(req: Pick<Request, 'route' | 'baseUrl'>): string {
  const pattern: unknown = req.route?.path;
  if (typeof pattern === 'string') return `${req.baseUrl}${pattern}`;
  return req.baseUrl || 'unmatched';
}

/** Times every request; to be mounted before the routes. */
export const measureRequests: RequestHandler = (req, res, next) => {
  const stopTimer = httpRequestDuration.startTimer();
  res.on('finish', () => stopTimer({ method: req.method, route: routeLabel(req), status: String(res.statusCode) }));
  next();
};

/** GET /metrics: Prometheus text format. */
export const serveMetrics: RequestHandler = async (_req, res) => {
  const { contentType, body } = await renderMetrics();
  res.type(contentType).send(body);
};
