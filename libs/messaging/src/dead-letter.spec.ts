import { Headers } from '@orderline/contracts';
import { deadLetterOf } from './dead-letter';
import { sizeOf } from './publisher';

const delivery = (value: string) => ({
  topic: 'orders.commands',
  partition: 3,
  message: { key: Buffer.from('order-1'), value: Buffer.from(value), headers: { [Headers.correlationId]: 'c-1' }, offset: '42' },
});

describe('deadLetterOf', () => {
  it('keeps the message as it was and says why and where it came from', () => {
    const letter = deadLetterOf(delivery('{"a":1}'), 'Error: boom', 900 * 1024);
    expect(letter).toEqual({
      topic: 'orders.commands.dlq',
      key: Buffer.from('order-1'),
      value: Buffer.from('{"a":1}'),
      headers: {
        [Headers.correlationId]: 'c-1',
        [Headers.error]: 'Error: boom',
        [Headers.sourceTopic]: 'orders.commands',
        [Headers.sourcePartition]: '3',
        [Headers.sourceOffset]: '42',
      },
    });
  });

  it('cuts the reason to 2,000 characters', () => {
    const letter = deadLetterOf(delivery('x'), 'r'.repeat(5_000), 900 * 1024);
    expect(letter.headers?.[Headers.error]).toHaveLength(2_000);
  });

  it('keeps the start of a message that no longer fits with the headers, saying how long it was', () => {
    const max = 100 * 1024;
    const value = 'v'.repeat(max - 100);
    const letter = deadLetterOf(delivery(value), 'Error: '.padEnd(1_500, 'x'), max);
    expect(sizeOf(letter)).toBeLessThanOrEqual(max);
    expect(letter.headers?.[Headers.truncatedFrom]).toBe(String(value.length));
    expect(value.startsWith(String(letter.value))).toBe(true);
    expect(deadLetterOf(delivery('small'), 'reason', max).headers?.[Headers.truncatedFrom]).toBeUndefined();
  });
});
