import type { RequestHandler } from 'express';
import { apiRoutes, type OperationId } from '@orderline/contracts';
import { TokenBuckets } from '../domain/token-bucket';
import { callerOf } from './auth';
import { HttpProblem } from './problem-response';
import { rateLimitField, rateLimitPolicyField, retryAfterSeconds, type RateLimitPolicy } from './rate-limit-headers';
import { inputOf } from './route-input';

/** What one customer may do (GatewayEnv sets them; these are the defaults). */
export interface CustomerLimits {
  /** order requests a second per customer, over all gateway instances together */
  orderRequestsPerSecond: number;
  /** how many order requests a customer may send at once after being idle */
  orderRequestBurst: number;
  /** units of one product in one order */
  maxQuantityPerProduct: number;
}

/**
 * A shop's defaults: a person clicks a few times a second at most and a busy integration (a
 * marketplace feed) some tens a second, so 100/s with bursts of 200 stops only runaway clients;
 * `npm run bench` (24 connections, ~4,000 orders/s over 49 customers ≈ 80/s each) stays under it.
 * 100 units of one product is more than a household orders and far below the contract's 1,000.
 */
export const DEFAULT_CUSTOMER_LIMITS: CustomerLimits = {
  orderRequestsPerSecond: 100,
  orderRequestBurst: 200,
  maxQuantityPerProduct: 100,
};

/** the RateLimit policy name the headers carry */
const ORDERS_POLICY = 'orders';

/**
 * The operations the rate limit counts: the ones that give order-management work to do (create,
 * change, cancel). Reads are not counted: they are cheap, and a customer following the orders it
 * has just placed must not use up the budget for placing them.
 */
export const RATE_LIMITED_OPERATIONS: ReadonlySet<OperationId> = new Set(['createOrder', 'updateOrder', 'replaceOrder', 'cancelOrder']);

/**
 * 422 naming every line that asks for more than `maxQuantityPerProduct` units (product ids are
 * unique within an order, so one line is one product). Runs after validation, on createOrder.
 */
export function capQuantities(maxQuantityPerProduct: number): RequestHandler {
  return (_req, res, next) => {
    const { body } = inputOf(res, apiRoutes.createOrder);
    const errors = body.items.flatMap((item, i) =>
      item.quantity > maxQuantityPerProduct
        ? [{ path: `body.items.${i}.quantity`, message: `at most ${maxQuantityPerProduct} units of one product per order` }]
        : [],
    );
    if (errors.length > 0) {
      return next(new HttpProblem('orderLimit', `an order may hold at most ${maxQuantityPerProduct} units of one product`, errors));
    }
    next();
  };
}

/**
 * The per-customer token bucket on order requests. Runs after authentication and validation, so
 * a request refused there (401, 400, 413, 415, 422) takes no token: what is limited is the work a
 * customer asks of the system. The key is the caller (token `sub`): an admin's requests count
 * under the admin's id.
 *
 * Several gateway instances share the limit by splitting it (no shared state): with `instances()`
 * gateways alive, each allows rate/N with bursts of burst/N (at least 1), which adds up to the
 * limit when the load balancer spreads a customer's requests evenly (docs/scaling.md).
 *
 * Every response of a counted route carries `RateLimit-Policy` and `RateLimit` (for the whole
 * system: this instance's remaining share × N); a refused one is 429 with `Retry-After`.
 */
export function limitOrderRequests(
  limits: Pick<CustomerLimits, 'orderRequestsPerSecond' | 'orderRequestBurst'>,
  { instances = () => 1, now = Date.now }: { instances?: () => number; now?: () => number } = {},
): RequestHandler {
  const buckets = new TokenBuckets();
  const policy: RateLimitPolicy = { name: ORDERS_POLICY, ratePerSecond: limits.orderRequestsPerSecond, burst: limits.orderRequestBurst };
  const policyField = rateLimitPolicyField(policy);
  return (_req, res, next) => {
    const n = Math.max(1, Math.floor(instances()));
    const share = { ratePerSecond: policy.ratePerSecond / n, capacity: Math.max(1, policy.burst / n) };
    const taken = buckets.take(callerOf(res).customerId, now(), share);
    // whole requests left here, times N (a fraction of a token allows nothing: a 429 says r=0)
    const remaining = Math.min(Math.floor(taken.tokens) * n, Math.max(1, policy.burst));
    res.set('RateLimit-Policy', policyField);
    if (taken.allowed) {
      res.set('RateLimit', rateLimitField(ORDERS_POLICY, remaining, taken.secondsUntilFull));
      return next();
    }
    const retryAfter = retryAfterSeconds(taken.secondsUntilNext);
    res.set('RateLimit', rateLimitField(ORDERS_POLICY, remaining, retryAfter));
    res.set('Retry-After', String(retryAfter));
    next(
      new HttpProblem(
        'tooManyRequests',
        `more than ${policy.ratePerSecond} order requests a second (bursts of ${policy.burst}) from ${callerOf(res).customerId}; retry after ${retryAfter} s`,
      ),
    );
  };
}
