import { MAX_STOCK_QUANTITY } from '@orderline/contracts';
import { adjustmentHash, decideAdjustment } from './adjust-stock';
import { fellToLowStock } from './stock-levels';

const received = { delta: 5, reason: 'RECEIVED' as const, reference: 'PO-1' };

describe('decideAdjustment', () => {
  it('applies a delta that keeps the stock within 0..MAX_STOCK_QUANTITY, bounds included', () => {
    expect(decideAdjustment(3, { delta: -3, reason: 'DAMAGED' }, undefined)).toEqual({ outcome: 'APPLY', quantityAfter: 0 });
    expect(decideAdjustment(3, { delta: MAX_STOCK_QUANTITY - 3, reason: 'RECEIVED' }, undefined)).toEqual({
      outcome: 'APPLY',
      quantityAfter: MAX_STOCK_QUANTITY,
    });
  });

  it('never takes the stock below zero nor above the maximum, naming the available quantity', () => {
    expect(decideAdjustment(3, { delta: -4, reason: 'DAMAGED' }, undefined)).toEqual({
      outcome: 'INSUFFICIENT_STOCK',
      availableQuantity: 3,
    });
    expect(decideAdjustment(3, { delta: MAX_STOCK_QUANTITY - 2, reason: 'RECEIVED' }, undefined)).toEqual({
      outcome: 'OVER_MAXIMUM',
      availableQuantity: 3,
    });
  });

  it('answers a repeated Idempotency-Key with the movement it made, and refuses it with another adjustment', () => {
    const before = { id: '42', requestHash: adjustmentHash(received) };
    expect(decideAdjustment(0, received, before)).toEqual({ outcome: 'REPLAY', movementId: '42' });
    for (const other of [
      { ...received, delta: 6 },
      { ...received, reason: 'RETURNED' as const },
      { ...received, reference: undefined },
    ]) {
      expect(decideAdjustment(100, other, before)).toEqual({ outcome: 'KEY_REUSED' });
    }
  });
});

describe('fellToLowStock', () => {
  it('only when the stock goes from above the threshold to it or below', () => {
    expect(fellToLowStock(11, 10, 10)).toBe(true);
    expect(fellToLowStock(50, 0, 10)).toBe(true);
    expect(fellToLowStock(11, 11, 10)).toBe(false);
    expect(fellToLowStock(10, 5, 10)).toBe(false); // already low: said once
    expect(fellToLowStock(5, 20, 10)).toBe(false);
  });
});
