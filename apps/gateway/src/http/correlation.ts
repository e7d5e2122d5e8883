import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { withLogContext } from '@orderline/logging';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * Every request gets a correlation id: the caller's `x-correlation-id` when it is sane, else a
 * new uuid. It is echoed on the response and carried on every log line and Kafka message.
 */
export const correlationId: RequestHandler = (req, res, next) => {
  const incoming = req.header('x-correlation-id');
  const id = incoming && SAFE_ID.test(incoming) ? incoming : randomUUID();
  res.locals['correlationId'] = id;
  res.setHeader('x-correlation-id', id);
  withLogContext({ correlationId: id }, () => next());
};
