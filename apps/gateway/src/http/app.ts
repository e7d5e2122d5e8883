import express from 'express';
import { KafkaHealth, type Publisher, type Requester } from '@orderline/messaging';
import type { Logger } from '@orderline/logging';
import { authenticate } from './auth';
import { correlationId } from './correlation';
import { errorHandler, notFoundHandler } from './error-handler';
import { ordersRouter } from './orders-routes';
import { productsRouter } from './products-routes';
import { HttpProblem } from './problem-response';

export interface GatewayDeps {
  publisher: Publisher;
  requester: Requester;
  kafkaHealth: Pick<KafkaHealth, 'isReachable'>;
  jwtSecret: string;
  logger: Logger;
}

/** The whole HTTP surface of the system. */
export function createApp(deps: GatewayDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(correlationId);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      deps.logger.http('request', { method: req.method, path: req.path, status: res.statusCode, ms });
    });
    next();
  });

  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/health/ready', async (_req, res) => {
    const kafka = await deps.kafkaHealth.isReachable();
    res.status(kafka ? 200 : 503).json({ status: kafka ? 'ok' : 'unavailable', checks: { kafka: kafka ? 'up' : 'down' } });
  });
  app.get('/api/v1/orders/health-check', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const api = express.Router();
  api.use((req, _res, next) => {
    const hasBody = ['POST', 'PUT', 'PATCH'].includes(req.method);
    if (hasBody && !req.is('application/json')) {
      return next(new HttpProblem('unsupportedMediaType', 'send the body as application/json'));
    }
    next();
  });
  // strict: false lets a bare string or null through to validation, which names what is wrong.
  api.use(express.json({ limit: '64kb', strict: false }));
  api.use(authenticate(deps.jwtSecret));
  api.use('/orders', ordersRouter(deps));
  api.use('/products', productsRouter(deps));
  app.use('/api/v1', api);

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
