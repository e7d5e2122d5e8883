/**
 * The order bodies both load generators send. shippingAddress.line1 `<seq> Benchmark Allee, run <runId>`
 * tags the order row with its request (orders-db.ts taggedRows: the duplicate check).
 */
const CITIES = ['Berlin', 'Hamburg', 'München', 'Köln', 'Leipzig', 'Dresden', 'Bremen', 'Essen'];

/** A valid, varied order body: `lines` distinct random products of PROD-0001..PROD-<products>, quantities 1..3. */
export function orderBody(config: { products: number; lines: number; runId: string }, seq: number): string {
  const productNumbers = new Set<number>();
  // bounded: lines <= products is validated, so each draw adds with positive probability; cap anyway
  for (let tries = 0; productNumbers.size < config.lines && tries < 10_000; tries++) {
    productNumbers.add(1 + Math.floor(Math.random() * config.products));
  }
  return JSON.stringify({
    items: [...productNumbers].map((n) => ({
      productId: `PROD-${String(n).padStart(4, '0')}`,
      quantity: 1 + Math.floor(Math.random() * 3),
    })),
    shippingAddress: {
      line1: `${seq} Benchmark Allee, run ${config.runId}`,
      city: CITIES[seq % CITIES.length],
      postalCode: String(10000 + Math.floor(Math.random() * 89999)),
      country: 'DE',
    },
  });
}
