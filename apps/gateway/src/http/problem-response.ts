import type { Response } from 'express';
import { z } from 'zod';
import { issuesToErrors, problem, type Problem, type ProblemKind } from '@orderline/contracts';

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

/** Validates part of a request (body, query, params); a mismatch is a 400 naming every bad field. */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.infer<S> {
  const parsed = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!parsed.success) {
    throw new HttpProblem('validation', `the request ${where} is not valid`, issuesToErrors(parsed.error, where));
  }
  return parsed.data;
}
