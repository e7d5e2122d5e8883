import { InvalidCursor, decodeCursor, encodeCursor } from './list-orders';

describe('order list cursors', () => {
  it('round-trip', () => {
    const position = { createdAt: new Date('2026-11-24T10:00:00.123Z'), id: '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['a year the database cannot hold', ['-200000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']],
    ['an extended year', ['+010000-01-01T00:00:00.000Z', '00000000-0000-1000-8000-000000000000']],
    ['a non-canonical id', ['2026-01-01T00:00:00.000Z', '------------------------------------']],
    ['an impossible date', ['2026-02-31T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']],
  ])('refuses %s', (_name, value) => {
    const cursor = typeof value === 'string' ? value : Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(() => decodeCursor(cursor)).toThrow(InvalidCursor);
  });
});
