import type { RequestHandler } from 'express';
import jwt from 'jsonwebtoken';
import { TokenClaims, type Caller } from '@orderline/contracts';
import { HttpProblem } from './problem-response';

type Verified = { caller: Caller; expiresAtMs: number } | { problem: string };

/**
 * Checks a token: HS256 signature with one of `secrets` (the current one first; during a rotation
 * also the previous one), unexpired `exp` (required), `sub` and `role`.
 * A valid token is remembered until it expires (at most `cacheSize` of them, oldest dropped
 * first), so a client sending the same token with every request costs one HMAC, not thousands.
 */
export function tokenVerifier(secrets: readonly string[], cacheSize = 10_000): (token: string) => Verified {
  const valid = new Map<string, { caller: Caller; expiresAtMs: number }>();
  return (token) => {
    const cached = valid.get(token);
    if (cached && cached.expiresAtMs > Date.now()) return cached;
    if (cached) valid.delete(token);
    const claims = verifiedClaims(token, secrets);
    if ('problem' in claims) return claims;
    const exp = claims.payload.exp;
    if (typeof exp !== 'number') return { problem: 'the token has no expiry (exp)' };
    const subject = TokenClaims.safeParse(claims.payload);
    if (!subject.success) return { problem: 'the token lacks sub or role' };
    // the token's subject is the customer the caller acts as (contracts' Caller, sent with every order request)
    const verified = { caller: { customerId: subject.data.sub, role: subject.data.role }, expiresAtMs: exp * 1000 };
    if (valid.size >= cacheSize) valid.delete(valid.keys().next().value as string);
    valid.set(token, verified);
    return verified;
  };
}

/** The token's claims if its signature is one of `secrets`' (an expired token: said so whichever key signed it). */
function verifiedClaims(token: string, secrets: readonly string[]): { payload: Record<string, unknown> } | { problem: string } {
  for (const secret of secrets) {
    try {
      return { payload: jwt.verify(token, secret, { algorithms: ['HS256'] }) as Record<string, unknown> };
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) return { problem: 'the token has expired' };
      // not this key's signature (or not a JWT at all): try the next key
    }
  }
  return { problem: 'the token is not valid' };
}

/** Requires `Authorization: Bearer <HS256 JWT>` signed with one of `secrets`, with `sub`, `role` and an unexpired `exp`. */
export function authenticate(secrets: readonly string[]): RequestHandler {
  const verify = tokenVerifier(secrets);
  return (req, res, next) => {
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(req.header('authorization') ?? '');
    if (!match) return next(new HttpProblem('unauthorized', 'send Authorization: Bearer <token>'));
    const verified = verify(match[1]);
    if ('problem' in verified) return next(new HttpProblem('unauthorized', verified.problem));
    res.locals['caller'] = verified.caller;
    next();
  };
}

/** Who sent the request, as `authenticate` verified it. */
export function callerOf(res: { locals: Record<string, unknown> }): Caller {
  return res.locals['caller'] as Caller;
}

/** Only callers with `role` (after `authenticate`): others get 403. */
export function requireRole(role: Caller['role']): RequestHandler {
  return (_req, res, next) => {
    if (callerOf(res).role !== role) return next(new HttpProblem('forbidden', `only ${role}s may do this`));
    next();
  };
}
