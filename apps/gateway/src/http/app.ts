import express, { type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import { apiRoutes, type OperationId } from '@orderline/contracts';
import type { Publisher, Requester } from '@orderline/messaging';
import type { Logger } from '@orderline/logging';
import { authenticate, requireRole } from './auth';
import { correlationId } from './correlation';
import {
  DEFAULT_CUSTOMER_LIMITS,
  RATE_LIMITED_OPERATIONS,
  capQuantities,
  limitOrderRequests,
  type CustomerLimits,
} from './customer-limits';
import { errorHandler, notFoundHandler } from './error-handler';
import { measureRequests, serveMetrics } from './http-metrics';
import { buildOpenApiDocument } from './openapi';
import { admitOrders } from './admission';
import type { OrderChangesView } from '../messaging/order-changes';
import type { SharedReadCache } from '../domain/shared-read-cache';
import { orderHandlers, orderLookup, type AcceptedOrdersView, type OrderListsView, type RecentOrdersView } from './orders-handlers';
import { DEFAULT_STREAM_LIMITS, orderStreamHandlers, type StreamLimits } from './order-streams';
import { productHandlers } from './products-handlers';
import { webhookHandlers } from './webhooks-handlers';
import { HttpProblem } from './problem-response';
import { validateInput } from './route-input';
import { traceRequests } from './trace-requests';

export interface GatewayDeps {
  /** sends commands (CreateOrder) */
  publisher: Pick<Publisher, 'publish'>;
  /** asks order-management, inventory-service and notification-service (request/reply) */
  requester: Pick<Requester, 'request'>;
  /** the readiness checks (Kafka), for /health/ready */
  readiness(): Promise<{ ready: boolean; checks: Record<string, 'up' | 'down'> }>;
  /** HS256 keys tokens may be signed with: the current one, then (during a rotation) the previous one */
  jwtSecrets: string[];
  acceptedOrders: AcceptedOrdersView;
  recentOrders: RecentOrdersView;
  /** customers' first pages of their order list, kept current by this instance (none: order-management answers every list) */
  orderLists?: OrderListsView;
  /** the catalog as customers read it, answered by this instance (none: every read asks inventory-service) */
  catalog?: Pick<SharedReadCache<unknown>, 'read' | 'clear'>;
  /** admission control: new orders are refused (503) while decisions are further behind */
  maxDecisionLagMs: number;
  logger: Logger;
  /** per-customer limits (DEFAULT_CUSTOMER_LIMITS when absent) */
  limits?: CustomerLimits;
  /** how many gateway instances share the limits, each enforcing its share (1 when absent) */
  instances?: () => number;
  /** every change of every order, as this instance follows orders.events: for SSE streams and long-polls */
  orderChanges: OrderChangesView;
  /** bounds on streams and long-polls (DEFAULT_STREAM_LIMITS when absent) */
  streamLimits?: StreamLimits;
  /** the rate limit's clock, epoch ms (tests) */
  now?: () => number;
}

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) return next(new HttpProblem('unsupportedMediaType', 'send the body as application/json'));
  next();
};
// strict: false lets a bare string or null through to validation, which names what is wrong.
const parseJson = express.json({ limit: '64kb', strict: false });

/**
 * The whole HTTP surface. Every route comes from the one table in `apiRoutes` (which also
 * generates the OpenAPI document), so what is served and what is documented cannot drift.
 */
export function createApp(deps: GatewayDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // no hashed ETags (hashing every body cost ~2 % of the gateway's CPU); one order's ETag is its version, set by its handlers
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(traceRequests);
  app.use(correlationId);
  app.use(measureRequests);
  // one `http` line per request, only where LOG_LEVEL asks for it (a listener per request costs even when the line is dropped)
  if (deps.logger.isLevelEnabled('http')) {
    app.use((req, res, next) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        deps.logger.http('request', { method: req.method, path: req.path, status: res.statusCode, ms });
      });
      next();
    });
  }

  const openApiDocument = buildOpenApiDocument();
  const streams = orderStreamHandlers({
    changes: deps.orderChanges,
    lookUpOrder: orderLookup(deps),
    limits: deps.streamLimits ?? DEFAULT_STREAM_LIMITS,
    logger: deps.logger,
  });
  const health: RequestHandler = (_req, res) => {
    res.json({ status: 'ok' });
  };
  const handlers: Record<OperationId, RequestHandler> = {
    healthCheck: health,
    live: health,
    ready: async (_req, res) => {
      const { ready, checks } = await deps.readiness();
      res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks });
    },
    metrics: serveMetrics,
    openApi: (_req, res) => {
      res.json(openApiDocument);
    },
    ...productHandlers(deps),
    ...orderHandlers({ ...deps, watchOrder: streams.watchOrder }),
    streamOrder: streams.streamOrder,
    streamOrders: streams.streamOrders,
    ...webhookHandlers(deps),
  };

  const auth = authenticate(deps.jwtSecrets);
  const limits = deps.limits ?? DEFAULT_CUSTOMER_LIMITS;
  const limitOrders = limitOrderRequests(limits, { instances: deps.instances, now: deps.now });
  for (const [operationId, route] of Object.entries(apiRoutes)) {
    const chain: RequestHandler[] = [];
    if (operationId === 'createOrder') chain.push(admitOrders(() => deps.acceptedOrders.expectedWaitMs(), deps.maxDecisionLagMs));
    if (route.auth) chain.push(auth);
    // the role before the body: a customer learns nothing about what an admin route accepts
    if ('role' in route && route.role) chain.push(requireRole(route.role));
    if ('body' in route) chain.push(requireJson, parseJson);
    chain.push(validateInput(route));
    // limits after validation: a request refused as malformed takes no token
    if (operationId === 'createOrder') chain.push(capQuantities(limits.maxQuantityPerProduct));
    if (RATE_LIMITED_OPERATIONS.has(operationId as OperationId)) chain.push(limitOrders);
    chain.push(handlers[operationId as OperationId]);
    app[route.method](toExpressPath(route.path), ...chain);
  }
  app.use('/api/docs', swaggerUi.serve, swaggerUi.setup(openApiDocument));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

/** /api/v1/orders/{id} → /api/v1/orders/:id */
export const toExpressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');
