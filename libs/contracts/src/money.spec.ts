import { Money, centsToMoney, moneyToCents } from './money';

describe('money', () => {
  it.each([
    ['0.00', 0n],
    ['0.05', 5n],
    ['19.99', 1999n],
    ['1000000.10', 100000010n],
  ])('%s ⇄ %d cents', (money, cents) => {
    expect(moneyToCents(money)).toBe(cents);
    expect(centsToMoney(cents)).toBe(money);
  });

  it('adds without floating point error', () => {
    expect(centsToMoney(moneyToCents('0.10') + moneyToCents('0.20'))).toBe('0.30');
  });

  it.each(['1', '1.5', '1.999', '-1.00', '1e3', ' 1.00', '01.00x'])('rejects %j as money', (value) => {
    expect(Money.safeParse(value).success).toBe(false);
  });
});
