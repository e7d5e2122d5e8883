import type { RequestHandler } from 'express';
import { HttpProblem } from './problem-response';

/**
 * Admission control for new orders: while an order accepted now would wait more than
 * `maxDecisionLagMs` to be decided (messaging/accepted-orders.ts, expectedWaitMs), a new order is
 * answered 503 with Retry-After instead of being queued where it would wait too long. First in the
 * route's chain, before the token is verified and the body parsed: under overload a refusal must
 * cost next to nothing, or refusing becomes the overload.
 */
export function admitOrders(expectedWaitMs: () => number, maxDecisionLagMs: number): RequestHandler {
  return (_req, _res, next) => {
    const wait = expectedWaitMs();
    if (wait <= maxDecisionLagMs) return next();
    const retryAfter = Math.min(Math.max(Math.ceil((wait - maxDecisionLagMs) / 1000), 1), 30);
    next(
      new HttpProblem(
        'unavailable',
        `orders are being decided ${(wait / 1000).toFixed(1)} s behind; this one would wait too long`,
        undefined,
        retryAfter,
      ),
    );
  };
}
