import { createHash } from 'node:crypto';
import { MAX_STOCK_QUANTITY, type StockAdjustment } from '@orderline/contracts';

/** sha-256 of what an adjustment asks for: the same Idempotency-Key with another adjustment is refused. */
export function adjustmentHash({ delta, reason, reference }: StockAdjustment): string {
  return createHash('sha256')
    .update(JSON.stringify([delta, reason, reference ?? null]))
    .digest('hex');
}

export type AdjustmentDecision =
  | { outcome: 'REPLAY'; movementId: string }
  | { outcome: 'KEY_REUSED' }
  | { outcome: 'INSUFFICIENT_STOCK'; availableQuantity: number }
  | { outcome: 'OVER_MAXIMUM'; availableQuantity: number }
  | { outcome: 'APPLY'; quantityAfter: number };

/**
 * Decides an adjustment against the product's stock as it stands under its lock, and the
 * movement its Idempotency-Key made before, if any (same adjustment: answered with that movement,
 * nothing applied again; another adjustment: KEY_REUSED). Stock never goes below zero, nor above
 * MAX_STOCK_QUANTITY (the column is a 32-bit int).
 */
export function decideAdjustment(
  available: number,
  adjustment: StockAdjustment,
  madeBefore: { id: string; requestHash: string | null } | undefined,
): AdjustmentDecision {
  if (madeBefore) {
    return madeBefore.requestHash === adjustmentHash(adjustment)
      ? { outcome: 'REPLAY', movementId: madeBefore.id }
      : { outcome: 'KEY_REUSED' };
  }
  const after = available + adjustment.delta;
  if (after < 0) return { outcome: 'INSUFFICIENT_STOCK', availableQuantity: available };
  if (after > MAX_STOCK_QUANTITY) return { outcome: 'OVER_MAXIMUM', availableQuantity: available };
  return { outcome: 'APPLY', quantityAfter: after };
}
