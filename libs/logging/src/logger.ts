import winston from 'winston';
import { currentLogContext } from './correlation';

export type Logger = winston.Logger;

const addContext = winston.format((info) => {
  const context = currentLogContext();
  if (context) {
    if (info['correlationId'] === undefined) info['correlationId'] = context.correlationId;
    if (context.orderId && info['orderId'] === undefined) info['orderId'] = context.orderId;
  }
  return info;
});

/**
 * One JSON line per event: `{level, message, service, correlationId?, orderId?, timestamp, …}`.
 * The level comes from LOG_LEVEL (default `info`).
 */
export function createLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(
      addContext(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
}
