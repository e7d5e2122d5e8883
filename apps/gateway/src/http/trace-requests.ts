import type { RequestHandler } from 'express';
import { isTracing, startSpan, traceHeadersFrom, SpanAttributes } from '@orderline/tracing';
import { routeLabel } from './http-metrics';

/**
 * Each request in a SERVER span, continuing the caller's trace (its W3C `traceparent`, when
 * valid); everything the request publishes is a child of it. Tracing off, a `traceparent` that
 * came in is still passed on, unchanged, to the messages the request sends; without one this
 * costs a header look-up. Mounted first, so the whole request runs inside.
 */
export const traceRequests: RequestHandler = (req, res, next) => {
  const parent = traceHeadersFrom(req.headers);
  if (!isTracing()) {
    if (!parent) return next();
    return startSpan('', { parent }).run(() => next());
  }
  const span = startSpan(req.method, {
    kind: 'server',
    parent,
    attributes: { [SpanAttributes.httpMethod]: req.method, [SpanAttributes.urlPath]: req.path },
  });
  res.once('close', () => {
    // the route is known once the request was routed: `GET /api/v1/orders/:id`, never the raw path
    const route = routeLabel(req);
    span.updateName(`${req.method} ${route}`);
    span.setAttributes({ [SpanAttributes.httpRoute]: route, [SpanAttributes.httpStatus]: res.statusCode });
    span.end(res.statusCode >= 500 ? `HTTP ${res.statusCode}` : undefined);
  });
  span.run(() => next());
};
