import { MAX_ORDERS_PER_REQUEST, jsonBytes } from '@orderline/contracts';
import { reservationChunks } from './reservation-chunks';

const MAX_MESSAGE_BYTES = 900 * 1024;
const order = (id: number, lines: number, productId = (i: number) => `PROD-${String(i).padStart(4, '0')}`) => ({
  orderId: `order-${id}`,
  items: Array.from({ length: lines }, (_, i) => ({ productId: productId(i), quantity: 1000 })),
});

describe('reservationChunks', () => {
  it('keeps a batch of small orders in one request, up to the order limit', () => {
    const orders = Array.from({ length: MAX_ORDERS_PER_REQUEST + 1 }, (_, i) => order(i, 1));
    const chunks = reservationChunks(orders, MAX_MESSAGE_BYTES);
    expect(chunks.map((c) => c.length)).toEqual([MAX_ORDERS_PER_REQUEST, 1]);
    expect(chunks.flat()).toEqual(orders);
  });

  it('cuts by bytes, never an order, in the order given: 100-line orders whose ids are 6-byte escapes', () => {
    // 26 × U+0001 plus a number: the product id of the attack in issue 11 (~190 bytes as JSON)
    const orders = Array.from({ length: 60 }, (_, i) => order(i, 100, (n) => `${'\u0001'.repeat(26)}${String(n).padStart(6, '0')}`));
    const chunks = reservationChunks(orders, MAX_MESSAGE_BYTES);
    expect(chunks.flat()).toEqual(orders);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(jsonBytes({ orders: chunk }) * 2).toBeLessThan(MAX_MESSAGE_BYTES);
  });

  it('asks nothing for nothing', () => {
    expect(reservationChunks([], MAX_MESSAGE_BYTES)).toEqual([]);
  });
});
