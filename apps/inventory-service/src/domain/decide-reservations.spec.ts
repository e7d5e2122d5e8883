import { decideReservations, type StockedProduct } from './decide-reservations';

/** The reservation decision on its own, no database: what StockRepository.reserve decides under its locks. */
const A = 'PROD-A';
const B = 'PROD-B';
const stock = (a: number, b: number): StockedProduct[] => [
  { id: A, unitPrice: '3.10', available: a },
  { id: B, unitPrice: '7.00', available: b },
];
const order = (orderId: string, ...items: [string, number][]) => ({
  orderId,
  items: items.map(([productId, quantity]) => ({ productId, quantity })),
});

describe('decideReservations', () => {
  it('reserves every line of an order at the product price, and says what to take from stock', () => {
    const decision = decideReservations([order('o1', [A, 2], [B, 2])], stock(5, 2), []);
    expect(decision.results).toEqual([
      {
        orderId: 'o1',
        outcome: 'RESERVED',
        lines: [
          { productId: A, quantity: 2, unitPrice: '3.10' },
          { productId: B, quantity: 2, unitPrice: '7.00' },
        ],
      },
    ]);
    expect(decision.newLines).toEqual([
      { orderId: 'o1', productId: A, quantity: 2, unitPrice: '3.10' },
      { orderId: 'o1', productId: B, quantity: 2, unitPrice: '7.00' },
    ]);
    expect(decision.taken).toEqual(
      new Map([
        [A, 2],
        [B, 2],
      ]),
    );
  });

  it('is all or nothing per order, in the order given: earlier orders get scarce stock, a rejected order takes nothing', () => {
    const decision = decideReservations(
      [
        order('o1', [A, 2]),
        order('o2', [A, 2], [B, 2]),
        order('o3', [A, 3]),
        order('o4', [A, 1], ['NO-SUCH', 1], ['NOR-THIS', 1]),
        order('o5', [A, 1]),
      ],
      stock(5, 1),
      [],
    );
    expect(decision.results.map((r) => (r.outcome === 'RESERVED' ? [r.orderId, 'RESERVED'] : [r.orderId, r.reason, r.productIds]))).toEqual(
      [
        ['o1', 'RESERVED'],
        ['o2', 'OUT_OF_STOCK', [B]],
        ['o3', 'RESERVED'],
        ['o4', 'UNKNOWN_PRODUCT', ['NO-SUCH', 'NOR-THIS']],
        ['o5', 'OUT_OF_STOCK', [A]],
      ],
    );
    expect(decision.taken).toEqual(new Map([[A, 5]]));
    // the stock log: one row per line taken, with the stock after it, in the order taken
    expect(decision.movements).toEqual([
      { orderId: 'o1', productId: A, quantity: 2, quantityAfter: 3 },
      { orderId: 'o3', productId: A, quantity: 3, quantityAfter: 0 },
    ]);
  });

  it('names every short line of an order refused as out of stock; exactly what is left can be reserved', () => {
    expect(decideReservations([order('o1', [A, 6], [B, 3])], stock(5, 2), []).results[0]).toMatchObject({
      reason: 'OUT_OF_STOCK',
      productIds: [A, B],
    });
    expect(decideReservations([order('o1', [A, 5], [B, 2])], stock(5, 2), []).results[0].outcome).toBe('RESERVED');
  });

  it('answers a replay with the reservation it holds and takes nothing more; other items are RESERVATION_MISMATCH', () => {
    const before = [
      { orderId: 'o1', productId: A, quantity: 2, unitPrice: '3.00' },
      { orderId: 'o1', productId: B, quantity: 1, unitPrice: '7.00' },
    ];
    const decision = decideReservations(
      [order('o1', [B, 1], [A, 2]), order('o2', [A, 1])],
      stock(0, 0), // what it holds was taken long ago
      before,
    );
    expect(decision.results[0]).toEqual({
      orderId: 'o1',
      outcome: 'RESERVED',
      lines: [
        { productId: A, quantity: 2, unitPrice: '3.00' }, // the price it was reserved at
        { productId: B, quantity: 1, unitPrice: '7.00' },
      ],
    });
    expect(decision.newLines).toEqual([]);
    for (const items of [
      [[A, 3]],
      [[A, 2]],
      [
        [A, 2],
        [B, 1],
        ['PROD-C', 1],
      ],
    ] as [string, number][][]) {
      expect(decideReservations([order('o1', ...items)], stock(10, 10), before)).toEqual({
        results: [{ orderId: 'o1', outcome: 'REJECTED', reason: 'RESERVATION_MISMATCH', productIds: items.map(([id]) => id) }],
        newLines: [],
        taken: new Map(),
        movements: [],
      });
    }
  });

  it('leaves its inputs as they are', () => {
    const products = stock(5, 5);
    decideReservations([order('o1', [A, 5])], products, []);
    expect(products[0].available).toBe(5);
  });
});
