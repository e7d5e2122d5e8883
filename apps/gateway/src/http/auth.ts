import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { TokenClaims } from '@orderline/contracts';
import { HttpProblem } from './problem-response';

export type Caller = TokenClaims;

type Verified = { caller: Caller; expiresAtMs: number } | { problem: string };

/**
 * Checks a token: HS256 signature with `secret`, unexpired `exp` (required), `sub` and `role`.
 * A valid token is remembered until it expires (at most `cacheSize` of them, oldest dropped
 * first), so a client sending the same token with every request costs one HMAC, not thousands.
 */
export function tokenVerifier(secret: string, cacheSize = 10_000): (token: string) => Verified {
  const valid = new Map<string, { caller: Caller; expiresAtMs: number }>();
  return (token) => {
    const cached = valid.get(token);
    if (cached && cached.expiresAtMs > Date.now()) return cached;
    if (cached) valid.delete(token);
    let claims: unknown;
    try {
      claims = jwt.verify(token, secret, { algorithms: ['HS256'] });
    } catch (error) {
      return { problem: error instanceof jwt.TokenExpiredError ? 'the token has expired' : 'the token is not valid' };
    }
    const exp = (claims as { exp?: unknown }).exp;
    if (typeof exp !== 'number') return { problem: 'the token has no expiry (exp)' };
    const caller = TokenClaims.safeParse(claims);
    if (!caller.success) return { problem: 'the token lacks sub or role' };
    const verified = { caller: caller.data, expiresAtMs: exp * 1000 };
    if (valid.size >= cacheSize) valid.delete(valid.keys().next().value as string);
    valid.set(token, verified);
    return verified;
  };
}

/** Requires `Authorization: Bearer <HS256 JWT>` with `sub`, `role` and an unexpired `exp`. */
export function authenticate(secret: string): RequestHandler {
  const verify = tokenVerifier(secret);
  return (req, res, next) => {
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(req.header('authorization') ?? '');
    if (!match) return next(new HttpProblem('unauthorized', 'send Authorization: Bearer <token>'));
    const verified = verify(match[1]);
    if ('problem' in verified) return next(new HttpProblem('unauthorized', verified.problem));
    res.locals['caller'] = verified.caller;
    next();
  };
}

export function callerOf(res: { locals: Record<string, unknown> }): Caller {
  return res.locals['caller'] as Caller;
}
