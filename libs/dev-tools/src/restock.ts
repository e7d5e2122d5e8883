import { signToken } from './tokens';

export interface RestockOptions {
  gatewayUrl: string;
  productIds: string[];
  /** each product ends with at least this many available (when nothing takes stock meanwhile) */
  atLeast: number;
  /** names the adjustments: Idempotency-Key `restock-<runId>-<product id>`, reference `restock <runId>` */
  runId: string;
  /** requests in flight at once */
  concurrency?: number;
}

/**
 * Raises products' stock through the admin API, as an operator receiving goods would: for each
 * product a GET, then a `RECEIVED` stock adjustment of what is missing. The stock log and
 * inventory.events see it (SQL written by hand would bypass both), and the Idempotency-Key makes a
 * retried run apply nothing twice. Returns how many products were short (and adjusted).
 */
export async function restockThroughApi({ gatewayUrl, productIds, atLeast, runId, concurrency = 32 }: RestockOptions): Promise<number> {
  const headers = { authorization: `Bearer ${signToken({ sub: 'RESTOCK', role: 'admin' })}`, 'content-type': 'application/json' };
  let adjusted = 0;
  const restockOne = async (productId: string) => {
    const read = await fetch(`${gatewayUrl}/api/v1/products/${encodeURIComponent(productId)}`, { headers });
    if (read.status === 404) throw new Error(`no product ${productId}: seed with npm run db:seed (or use fewer products)`);
    if (read.status !== 200) throw new Error(`GET product ${productId}: ${read.status} ${await read.text()}`);
    const { availableQuantity } = (await read.json()) as { availableQuantity: number };
    if (availableQuantity >= atLeast) return;
    const res = await fetch(`${gatewayUrl}/api/v1/products/${encodeURIComponent(productId)}/stock-adjustments`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `restock-${runId}-${productId}` },
      body: JSON.stringify({ delta: atLeast - availableQuantity, reason: 'RECEIVED', reference: `restock ${runId}` }),
    });
    if (res.status !== 201) throw new Error(`restocking ${productId}: ${res.status} ${await res.text()}`);
    adjusted++;
  };
  const queue = [...productIds];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await restockOne(id);
    }),
  );
  return adjusted;
}
