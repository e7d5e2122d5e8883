import type { RequestHandler, Response } from 'express';
import type { z } from 'zod';
import type { ApiRoute } from '@orderline/contracts';
import { parseRequest } from './problem-response';

type Parsed<S> = S extends z.ZodType ? z.infer<S> : undefined;

/** What the route's schemas let through, parsed: the only request data handlers read. */
export interface RouteInput<R extends ApiRoute> {
  params: Parsed<R['params']>;
  query: Parsed<R['query']>;
  body: Parsed<R['body']>;
}

/** Validates params, query and body against the route's schemas (400 naming every bad field). */
export function validateInput(route: ApiRoute): RequestHandler {
  return (req, res, next) => {
    res.locals['input'] = {
      params: route.params ? parseRequest(route.params, req.params, 'params') : undefined,
      query: route.query ? parseRequest(route.query, req.query, 'query') : undefined,
      body: route.body ? parseRequest(route.body, req.body, 'body') : undefined,
    };
    next();
  };
}

export function inputOf<R extends ApiRoute>(res: Response, _route: R): RouteInput<R> {
  return res.locals['input'] as RouteInput<R>;
}

export const correlationIdOf = (res: Response): string => String(res.locals['correlationId']);
