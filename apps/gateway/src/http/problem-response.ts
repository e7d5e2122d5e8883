import type { Response } from 'express';
import { problem, type Problem, type ProblemKind } from '@orderline/contracts';

/** An error a route throws on purpose; the error handler turns it into problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly errors?: Problem['errors'],
  ) {
    super(detail);
  }
}

export function sendProblem(res: Response, kind: ProblemKind, detail: string, errors?: Problem['errors']): void {
  const body = problem(kind, detail, String(res.locals['correlationId'] ?? 'unknown'), errors);
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}
