import type { Response } from 'express';
import { problem, type Problem, type ProblemKind } from '@orderline/contracts';

/** An error a route throws on purpose; the error handler turns it into problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly errors?: Problem['errors'],
    /** for 429 and 503: when to try again */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }
}

/** A 503 says when to come back: the broker or a dependency is usually back within seconds. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

export function sendProblem(
  res: Response,
  kind: ProblemKind,
  detail: string,
  errors?: Problem['errors'],
  retryAfterSeconds?: number,
): void {
  const body = problem(kind, detail, String(res.locals['correlationId'] ?? 'unknown'), errors);
  const retryAfter = retryAfterSeconds ?? (body.status === 503 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) res.set('Retry-After', String(retryAfter));
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}
