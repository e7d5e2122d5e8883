import { randomUUID } from 'node:crypto';

export interface LoadResult {
  /** order ids that got a 202 (each logical order counted once) */
  accepted: Set<string>;
  /** logical orders that never got a 202 within their retry budget */
  gaveUp: number;
  /** non-202 answers seen (e.g. 503 while the broker was down), by status */
  statuses: Map<number, number>;
  /** the load hit its time budget and stopped early (the system did not recover in time) */
  overBudget: boolean;
}

export interface LoadOptions {
  gatewayUrl: string;
  token: string;
  productIds: string[];
  orders: number;
  concurrency: number;
  /** called once when this many orders have been sent (the fault goes in then) */
  faultAt: number;
  onFault: () => Promise<void>;
  /** the whole load stops after this long, whatever is left (default 5 minutes) */
  budgetMs?: number;
  /** every order with an Idempotency-Key (default: every other one) */
  everyOrderKeyed?: boolean;
  /** how long one order is retried before the client gives up (default 60 s) */
  retryForMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Places `orders` orders through the gateway like a careful client: every other order carries an
 * Idempotency-Key, and a failed attempt (503/504, connection refused) is retried with the same
 * key for up to 60 s (retryForMs) — so retries can never create a second order. Orders without a key are
 * retried only when no 202 came back (a 202 means the command is durable in Kafka).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const accepted = new Set<string>();
  const statuses = new Map<number, number>();
  let gaveUp = 0;
  let next = 0;
  let faultStarted: Promise<void> | undefined;
  const budgetEnds = Date.now() + (options.budgetMs ?? 300_000);
  const overBudget = () => Date.now() > budgetEnds;

  const placeOne = async (n: number) => {
    const key = options.everyOrderKeyed || n % 2 === 0 ? `fault-${randomUUID()}` : undefined;
    const body = JSON.stringify({
      items: [{ productId: options.productIds[n % options.productIds.length], quantity: 1 + (n % 2) }],
      shippingAddress: { line1: `${n} Fault Street`, city: 'Berlin', postalCode: '10115', country: 'DE' },
    });
    const deadline = Date.now() + (options.retryForMs ?? 60_000);
    while (Date.now() < deadline && !overBudget()) {
      try {
        const res = await fetch(`${options.gatewayUrl}/api/v1/orders`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${options.token}`,
            'content-type': 'application/json',
            ...(key ? { 'idempotency-key': key } : {}),
          },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        if (res.status === 202) {
          accepted.add(((await res.json()) as { id: string }).id);
          return;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        await res.arrayBuffer();
      } catch {
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
      }
      await sleep(250);
    }
    gaveUp++;
  };

  const worker = async () => {
    while (next < options.orders && !overBudget()) {
      const n = next++;
      if (n === options.faultAt) faultStarted = options.onFault();
      await placeOne(n);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await faultStarted;
  return { accepted, gaveUp: gaveUp + (options.orders - next), statuses, overBudget: overBudget() };
}
