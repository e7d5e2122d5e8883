import { chunkByBytes, countThatFit, jsonBytes } from './message-budget';

describe('message budget', () => {
  it('measures JSON in UTF-8 bytes: control characters escaped (6), CJK (3)', () => {
    expect(jsonBytes('\u0001')).toBe(2 + 6);
    expect(jsonBytes('注文')).toBe(2 + 6);
  });

  it('chunks by bytes and count, in order, never over either bound', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ id: i, text: 'x'.repeat(i * 10) }));
    const chunks = chunkByBytes(items, 1_000, 7);
    expect(chunks.flat()).toEqual(items);
    for (const chunk of chunks) {
      expect(chunk.length).toBeLessThanOrEqual(7);
      if (chunk.length > 1) expect(jsonBytes(chunk)).toBeLessThanOrEqual(1_000);
    }
  });

  it('puts an item too large for any chunk alone', () => {
    const chunks = chunkByBytes(['a', 'b'.repeat(500), 'c'], 100);
    expect(chunks).toEqual([['a'], ['b'.repeat(500)], ['c']]);
  });

  it('counts the items that fit, at least one', () => {
    const items = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)];
    expect(countThatFit(items, 2 + 43 + 43)).toBe(2);
    expect(countThatFit(items, 10)).toBe(1);
    expect(countThatFit(items, 10_000)).toBe(3);
    expect(countThatFit([], 10)).toBe(0);
    expect(jsonBytes(items.slice(0, 2))).toBeLessThanOrEqual(2 + 43 + 43);
  });
});
