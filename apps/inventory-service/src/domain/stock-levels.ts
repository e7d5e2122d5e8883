/**
 * A product is low on stock at or below its threshold. LowStock is announced once per fall: when
 * a change takes the stock from above the threshold to it or below (not again while it stays low,
 * and not for a product created low).
 */
export function fellToLowStock(before: number, after: number, threshold: number): boolean {
  return before > threshold && after <= threshold;
}

/** The threshold that applies: the product's own, else the service's default (LOW_STOCK_THRESHOLD). */
export function thresholdOf(own: number | null, defaultThreshold: number): number {
  return own ?? defaultThreshold;
}
