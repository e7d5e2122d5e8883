import type { Response } from 'express';
import { z } from 'zod';
import { issuesToErrors, problem, type Problem, type ProblemKind } from '@orderline/contracts';

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

export function sendProblem(res: Response, kind: ProblemKind, detail: string, errors?: Problem['errors'], retryAfterSeconds?: number): void {
  const body = problem(kind, detail, String(res.locals['correlationId'] ?? 'unknown'), errors);
  const retryAfter = retryAfterSeconds ?? (body.status === 503 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  if (retryAfter !== undefined) res.set('Retry-After', String(retryAfter));
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

/** Validates part of a request (body, query, params); a mismatch is a 400 naming every bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.infer<S> {
  const parsed = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!parsed.success) {
    throw new HttpProblem('validation', `the request ${where} is not valid`, issuesToErrors(parsed.error, where));
  }
  return parsed.data;
}
