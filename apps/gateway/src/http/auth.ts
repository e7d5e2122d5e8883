import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { TokenClaims } from '@orderline/contracts';
import { HttpProblem } from './problem-response';

export type Caller = TokenClaims;

/** Requires `Authorization: Bearer <HS256 JWT>` with `sub`, `role` and an unexpired `exp`. */
export function authenticate(secret: string): RequestHandler {
  return (req, res, next) => {
    const header = req.header('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header);
    if (!match) return next(new HttpProblem('unauthorized', 'send Authorization: Bearer <token>'));
    let claims: unknown;
    try {
      claims = jwt.verify(match[1], secret, { algorithms: ['HS256'] });
    } catch (error) {
      const expired = error instanceof jwt.TokenExpiredError;
      return next(new HttpProblem('unauthorized', expired ? 'the token has expired' : 'the token is not valid'));
    }
    if (typeof (claims as { exp?: unknown }).exp !== 'number') {
      return next(new HttpProblem('unauthorized', 'the token has no expiry (exp)'));
    }
    const caller = TokenClaims.safeParse(claims);
    if (!caller.success) return next(new HttpProblem('unauthorized', 'the token lacks sub or role'));
    res.locals['caller'] = caller.data;
    next();
  };
}

export function callerOf(res: { locals: Record<string, unknown> }): Caller {
  return res.locals['caller'] as Caller;
}
