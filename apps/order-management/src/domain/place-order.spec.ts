import type { CreateOrderPayload, Customer, ReserveStockReply } from '@orderline/contracts';
import { decideOrder, type PlaceOrderDeps } from './place-order';

const command: CreateOrderPayload = {
  orderId: '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f',
  customerId: 'CUST01',
  items: [
    { productId: 'P1', quantity: 3 },
    { productId: 'P2', quantity: 1 },
  ],
  shippingAddress: { line1: 'x', city: 'y', postalCode: 'z', country: 'DE' },
};

function fakes(options: { stillPending?: boolean; customer?: Customer | null; reservation?: ReserveStockReply }) {
  const calls: string[] = [];
  const deps: PlaceOrderDeps = {
    orders: {
      confirm: async (_id, _lines, total) => {
        calls.push(`confirm ${total}`);
        return options.stillPending === false ? null : ({} as never);
      },
      reject: async (_id, reason) => {
        calls.push(`reject ${reason}`);
        return options.stillPending === false ? null : ({} as never);
      },
    },
    releaseStock: async () => calls.push('release'),
    findCustomer: async () => (options.customer === undefined ? { id: 'CUST01', name: 'C', blocked: false } : options.customer),
    reserveStock: async () => {
      calls.push('reserve');
      return (
        options.reservation ?? {
          outcome: 'RESERVED',
          lines: [
            { productId: 'P1', quantity: 3, unitPrice: '19.99' },
            { productId: 'P2', quantity: 1, unitPrice: '0.03' },
          ],
        }
      );
    },
  };
  return { deps, calls };
}

describe('decideOrder decides', () => {
  it('CONFIRMED with the total computed exactly in cents from inventory prices', async () => {
    const { deps, calls } = fakes({});
    await expect(decideOrder(command, 'c', deps)).resolves.toBe('CONFIRMED');
    expect(calls).toEqual(['reserve', 'confirm 6000']);
  });

  it.each([
    ['UNKNOWN_CUSTOMER', { customer: null }],
    ['CUSTOMER_BLOCKED', { customer: { id: 'CUST50', name: 'B', blocked: true } }],
  ] as const)('%s before touching stock', async (reason, options) => {
    const { deps, calls } = fakes(options);
    await expect(decideOrder(command, 'c', deps)).resolves.toBe('REJECTED');
    expect(calls).toEqual([`reject ${reason}`]);
  });

  it.each(['UNKNOWN_PRODUCT', 'OUT_OF_STOCK'] as const)('%s when inventory refuses', async (reason) => {
    const { deps, calls } = fakes({ reservation: { outcome: 'REJECTED', reason, productIds: ['P2'] } });
    await expect(decideOrder(command, 'c', deps)).resolves.toBe('REJECTED');
    expect(calls).toEqual(['reserve', `reject ${reason}`]);
  });

  it('gives the reservation back when the order left PENDING meanwhile (cancelled)', async () => {
    const { deps, calls } = fakes({ stillPending: false });
    await expect(decideOrder(command, 'c', deps)).resolves.toBe('ALREADY_DECIDED');
    expect(calls).toEqual(['reserve', 'confirm 6000', 'release']);
  });
});
