import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '@orderline/logging';
import { BrokerUnavailableError, ReplyFailedError, RequestTimeoutError, RequesterOverloadedError } from '@orderline/messaging';
import type { ProblemKind } from '@orderline/contracts';
import { HttpProblem, sendProblem } from './problem-response';

const replyCodeToProblem: Record<ReplyFailedError['code'], ProblemKind> = {
  BAD_REQUEST: 'validation',
  NOT_FOUND: 'notFound',
  FORBIDDEN: 'forbidden',
  CONFLICT: 'conflict',
  PRECONDITION_FAILED: 'preconditionFailed',
  INTERNAL: 'internal',
};

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, 'notFound', `no route ${req.method} ${req.path}`);
};

/** The one place errors become responses: every error is problem+json, bad input never a 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    if (error instanceof HttpProblem) return sendProblem(res, error.kind, error.detail, error.errors, error.retryAfterSeconds);
    // body-parser errors carry a `type`
    const type = (error as { type?: string }).type;
    if (type === 'entity.parse.failed') return sendProblem(res, 'malformedJson', 'the body is not valid JSON');
    if (type === 'entity.too.large') return sendProblem(res, 'payloadTooLarge', 'the body is larger than 64 KiB');
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return sendProblem(res, 'unsupportedMediaType', 'send the body as UTF-8 application/json');
    }
    if (typeof (error as { status?: number }).status === 'number' && (error as { status: number }).status < 500) {
      return sendProblem(res, 'validation', (error as Error).message);
    }
    if (error instanceof RequestTimeoutError) return sendProblem(res, 'timeout', 'the order service did not answer in time');
    if (error instanceof RequesterOverloadedError)
      return sendProblem(res, 'unavailable', 'too many requests are in progress', undefined, 1);
    if (error instanceof BrokerUnavailableError) return sendProblem(res, 'unavailable', 'the message broker is unavailable');
    if (error instanceof ReplyFailedError) return sendProblem(res, replyCodeToProblem[error.code], error.message);
    logger.error('unhandled error', { error: error instanceof Error ? error.stack : String(error) });
    sendProblem(res, 'internal', 'an unexpected error occurred');
  };
}
