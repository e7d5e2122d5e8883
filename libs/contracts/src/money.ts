import { z } from 'zod';

/** Money travels as a decimal string with exactly two places ("19.99"), never a float. */
export const Money = z.string().regex(/^\d{1,10}\.\d{2}$/, 'a decimal string with 2 places, e.g. "19.99"');
export type Money = z.infer<typeof Money>;

/** "19.99" → 1999. Exact: no floating point on the way. */
export function moneyToCents(money: string): bigint {
  const [whole, fraction = ''] = money.split('.');
  return BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2));
}

/** 1999n → "19.99" */
export function centsToMoney(cents: bigint): Money {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}
