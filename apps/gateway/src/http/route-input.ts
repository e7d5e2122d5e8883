import type { RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { issuesToErrors, type ApiRoute, type Problem } from '@orderline/contracts';
import { HttpProblem } from './problem-response';

type Parsed<S> = S extends z.ZodType ? z.infer<S> : undefined;

/** What the route's schemas let through, parsed: the only request data handlers read. */
export interface RouteInput<R extends ApiRoute> {
  params: Parsed<R['params']>;
  query: Parsed<R['query']>;
  body: Parsed<R['body']>;
  /** the route's declared headers that were sent, by lower-case name */
  headers: Partial<Record<string, string>>;
}

type Part = 'params' | 'query' | 'body' | 'headers';

/**
 * Validates params, query, body and the declared headers against the route's schemas: one 400
 * naming every bad field of every part (`body.shippingAddress.line1`, `headers.idempotency-key`).
 */
export function validateInput(route: ApiRoute): RequestHandler {
  return (req, res, next) => {
    const errors: NonNullable<Problem['errors']> = [];
    const invalid = new Set<Part>();
    const parse = (schema: z.ZodType | undefined, value: unknown, where: Part, path: string = where): unknown => {
      if (!schema) return undefined;
      const parsed = schema.safeParse(value);
      if (parsed.success) return parsed.data;
      invalid.add(where);
      errors.push(...issuesToErrors(parsed.error, path));
      return undefined;
    };
    const input = {
      params: parse(route.params, req.params ?? {}, 'params'),
      query: parse(route.query, req.query ?? {}, 'query'),
      body: parse(route.body, req.body, 'body'),
      headers: {} as Record<string, string>,
    };
    for (const header of route.headers ?? []) {
      const name = header.name.toLowerCase();
      const value = req.get(name);
      if (value === undefined) {
        if (header.required) {
          invalid.add('headers');
          errors.push({ path: `headers.${name}`, message: 'required' });
        }
        continue;
      }
      const parsed = parse(header.schema, headerText(value), 'headers', `headers.${name}`);
      if (typeof parsed === 'string') input.headers[name] = parsed;
    }
    if (errors.length > 0) {
      const parts = [...invalid];
      const verb = parts.length > 1 || parts[0] === 'headers' ? 'are' : 'is';
      throw new HttpProblem('validation', `the request ${parts.join(' and ')} ${verb} not valid`, errors);
    }
    res.locals['input'] = input;
    next();
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text a client meant by a header value. Node hands header bytes over as Latin-1, but
 * non-ASCII text is sent as UTF-8 (browsers, fetch, node's own client when it writes the headers
 * together with a string body), so a value whose bytes are valid UTF-8 is read as UTF-8: else
 * "À" (C3 80) would reach validation as "Ã" and the C1 control U+0080. Other bytes stay Latin-1.
 */
export function headerText(value: string): string {
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

export function inputOf<R extends ApiRoute>(res: Response, _route: R): RouteInput<R> {
  return res.locals['input'] as RouteInput<R>;
}

export const correlationIdOf = (res: Response): string => String(res.locals['correlationId']);
