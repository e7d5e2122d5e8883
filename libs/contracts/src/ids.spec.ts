import { OrderId } from './orders';
import { timeOrderedUuid } from './ids';

describe('timeOrderedUuid', () => {
  it('is a version 7 UUID the contract accepts, with the time in its first 48 bits', () => {
    const at = Date.UTC(2026, 11, 3, 12, 0, 0, 123);
    const id = timeOrderedUuid(at);
    expect(OrderId.parse(id)).toBe(id);
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by time (ids made later sort after), and is not the same twice', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => timeOrderedUuid(1_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 10_000 }, () => timeOrderedUuid(5)))).toHaveProperty('size', 10_000);
  });
});
