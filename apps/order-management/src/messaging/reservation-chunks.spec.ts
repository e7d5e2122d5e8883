import { MAX_LINES_PER_RESERVATION, MAX_ORDERS_PER_REQUEST } from '@orderline/contracts';
import { reservationChunks } from './reservation-chunks';

const order = (id: number, lines: number) => ({ id, items: Array.from({ length: lines }, (_, i) => i) });

describe('reservationChunks', () => {
  it('keeps a batch of small orders in one request, up to the order limit', () => {
    const orders = Array.from({ length: MAX_ORDERS_PER_REQUEST + 1 }, (_, i) => order(i, 1));
    const chunks = reservationChunks(orders);
    expect(chunks.map((c) => c.length)).toEqual([MAX_ORDERS_PER_REQUEST, 1]);
    expect(chunks.flat()).toEqual(orders);
  });

  it('splits large orders by lines, never an order, in the order given', () => {
    const orders = Array.from({ length: 120 }, (_, i) => order(i, 100)); // 12,000 lines
    const chunks = reservationChunks(orders);
    expect(chunks.flat()).toEqual(orders);
    for (const chunk of chunks) expect(chunk.reduce((n, o) => n + o.items.length, 0)).toBeLessThanOrEqual(MAX_LINES_PER_RESERVATION);
    expect(chunks.map((c) => c.length)).toEqual([50, 50, 20]);
  });

  it('asks nothing for nothing', () => {
    expect(reservationChunks([])).toEqual([]);
  });
});
