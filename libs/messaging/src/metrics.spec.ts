import { lagOf } from './metrics';

describe('lagOf', () => {
  const ends = new Map([
    [
      'orders.commands',
      [
        { partition: 0, low: '0', high: '10' },
        { partition: 1, low: '5', high: '8' },
        { partition: 2, low: '0', high: '0' },
      ],
    ],
  ]);

  it('is the distance from the committed offset to the end of each partition', () => {
    const committed = [
      {
        topic: 'orders.commands',
        partitions: [
          { partition: 0, offset: '7' },
          { partition: 1, offset: '8' },
          { partition: 2, offset: '-1' },
        ],
      },
    ];
    expect(lagOf(committed, ends)).toEqual([
      { topic: 'orders.commands', partition: 0, lag: 3 },
      { topic: 'orders.commands', partition: 1, lag: 0 },
      { topic: 'orders.commands', partition: 2, lag: 0 },
    ]);
  });

  it('counts a partition the group never committed on from the oldest message still kept', () => {
    expect(lagOf([], ends)).toEqual([
      { topic: 'orders.commands', partition: 0, lag: 10 },
      { topic: 'orders.commands', partition: 1, lag: 3 },
      { topic: 'orders.commands', partition: 2, lag: 0 },
    ]);
  });

  it('never reports a negative lag (a committed offset beyond a truncated log)', () => {
    const committed = [{ topic: 'orders.commands', partitions: [{ partition: 0, offset: '12' }] }];
    expect(lagOf(committed, new Map([['orders.commands', [{ partition: 0, low: '0', high: '10' }]]]))).toEqual([
      { topic: 'orders.commands', partition: 0, lag: 0 },
    ]);
  });
});
