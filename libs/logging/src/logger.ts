import winston from 'winston';
import { currentLogContext } from './correlation';
import { redactField } from './redact';

export type Logger = winston.Logger;

const addContext = winston.format((info) => {
  const context = currentLogContext();
  if (context) {
    if (info['correlationId'] === undefined) info['correlationId'] = context.correlationId;
    if (context.orderId && info['orderId'] === undefined) info['orderId'] = context.orderId;
  }
  return info;
});

const redactSensitive = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key !== 'level') info[key] = redactField(key, info[key]);
  }
  return info;
});

/**
 * One JSON line per event: `{level, message, service, correlationId?, orderId?, timestamp, …}`.
 * The level comes from LOG_LEVEL (default `info`). Tokens, secrets, passwords in URLs and
 * addresses (all but the country) are masked on every line (see redact.ts).
 */
export function createLogger(service: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  // winston runs the whole format chain before its transports drop a line below the level, so a
  // `logger.http(…)` per request would pay for context, redaction and JSON at LOG_LEVEL=info: the
  // first format drops such lines instead.
  const belowLevel = winston.format((info) => (logger.isLevelEnabled(info.level) ? info : false));
  const logger: Logger = winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(
      belowLevel(),
      addContext(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      redactSensitive(),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console()],
  });
  return logger;
}
