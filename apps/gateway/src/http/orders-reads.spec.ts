import request from 'supertest';
import type { CreateOrderPayload, Order, RequestContract } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { ReplyFailedError, type Publisher, type Requester } from '@orderline/messaging';
import { signToken } from '@orderline/testing';
import { createApp } from './app';
import type { AcceptedOrdersView } from './orders-handlers';

/**
 * Reads and admission at the HTTP edge, with the log view and order-management faked: an accepted,
 * undecided order is answered PENDING without asking anyone; a stored one by LookupOrder; an order
 * accepted elsewhere a moment ago is waited for; new orders are refused while decisions lag.
 */
const secret = 'test-secret-0123456789';
const token = (sub: string, role: 'customer' | 'admin' = 'customer') => ({ authorization: `Bearer ${signToken({ sub, role }, { secret })}` });
const address = { line1: '1 Test Street', city: 'Berlin', postalCode: '10115', country: 'DE' };
const pendingId = '6f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const storedId = '7f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';
const lateId = '8f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f';

const pendingOrder = (id: string, customerId = 'CUST01'): Order => ({
  id,
  customerId,
  status: 'PENDING',
  items: [{ productId: 'P1', quantity: 2, unitPrice: null }],
  totalAmount: null,
  shippingAddress: address,
  trackingCompany: null,
  trackingNumber: null,
  rejectionReason: null,
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
  version: 0,
});

let view: Map<string, Order>;
let lagMs: number;
let caughtUpCalls: number;
let sent: string[];
let published: number;

const acceptedOrders: AcceptedOrdersView = {
  accepted: (command: CreateOrderPayload) => view.set(command.orderId, pendingOrder(command.orderId, command.customerId)),
  find: (orderId) => view.get(orderId),
  caughtUp: async () => {
    caughtUpCalls++;
    view.set(lateId, pendingOrder(lateId)); // the order another instance accepted arrives while catching up
    return true;
  },
  decisionLagMs: () => lagMs,
};

const requester = {
  async request(contract: RequestContract, payload: { orderId: string }) {
    sent.push(contract.type);
    if (contract.type === 'LookupOrder' && payload.orderId === storedId) return { order: { ...pendingOrder(storedId), status: 'CONFIRMED', version: 1 } };
    throw new ReplyFailedError('NOT_FOUND', `no order ${payload.orderId}`);
  },
} as unknown as Requester;

const publisher = {
  async publish() {
    published++;
  },
} as unknown as Publisher;

const app = createApp({
  publisher,
  requester,
  readiness: async () => ({ ready: true, checks: { kafka: 'up' } }),
  jwtSecrets: [secret],
  acceptedOrders,
  maxDecisionLagMs: 5_000,
  logger: createLogger('test', 'error'),
});

beforeEach(() => {
  view = new Map([[pendingId, pendingOrder(pendingId)]]);
  lagMs = 0;
  caughtUpCalls = 0;
  sent = [];
  published = 0;
});

describe('GET /api/v1/orders/:id', () => {
  it('answers an accepted, undecided order PENDING (ETag "0") without asking order-management', async () => {
    const res = await request(app).get(`/api/v1/orders/${pendingId}`).set(token('CUST01'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: pendingId, status: 'PENDING', version: 0 });
    expect(res.headers['etag']).toBe('"0"');
    expect(sent).toEqual([]);
  });

  it("is 404 for another customer's undecided order, 200 for an admin", async () => {
    expect((await request(app).get(`/api/v1/orders/${pendingId}`).set(token('CUST02'))).status).toBe(404);
    expect((await request(app).get(`/api/v1/orders/${pendingId}`).set(token('ADMIN01', 'admin'))).status).toBe(200);
  });

  it('reads a stored order from order-management (LookupOrder on the query topic)', async () => {
    const res = await request(app).get(`/api/v1/orders/${storedId}`).set(token('CUST01'));
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('CONFIRMED');
    expect(sent).toEqual(['LookupOrder']);
    expect(caughtUpCalls).toBe(0);
  });

  it('waits for this instance to read every order accepted before the request, then answers PENDING', async () => {
    const res = await request(app).get(`/api/v1/orders/${lateId}`).set(token('CUST01'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: lateId, status: 'PENDING' });
    expect(caughtUpCalls).toBe(1);
  });

  it('is 404 for an order nobody accepted', async () => {
    const res = await request(app).get('/api/v1/orders/9f1c1b8e-8a3b-4c1e-9d7a-0a1b2c3d4e5f').set(token('CUST01'));
    expect(res.status).toBe(404);
  });
});

describe('POST /api/v1/orders: admission control', () => {
  const place = () =>
    request(app)
      .post('/api/v1/orders')
      .set(token('CUST01'))
      .send({ items: [{ productId: 'P1', quantity: 1 }], shippingAddress: address });

  it('accepts while the decisions are within the bound, and the new order reads PENDING at once', async () => {
    lagMs = 4_900;
    const res = await place();
    expect(res.status).toBe(202);
    expect(published).toBe(1);
    expect((await request(app).get(`/api/v1/orders/${res.body.id}`).set(token('CUST01'))).body.status).toBe('PENDING');
  });

  it('answers 503 problem+json with Retry-After while the decisions are further behind, publishing nothing', async () => {
    lagMs = 12_300;
    const res = await place();
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('8');
    expect(res.body.detail).toMatch(/12\.3 s behind/);
    expect(published).toBe(0);
  });
});
