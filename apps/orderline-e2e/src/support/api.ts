import request from 'supertest';
import type { Order } from '@orderline/contracts';
import { signToken, validAddress, waitFor } from '@orderline/testing';

const gatewayUrl = () => process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:3100';
export const api = () => request(gatewayUrl());

export const customerToken = (customerId = 'CUST01') => signToken({ sub: customerId, role: 'customer' });
export const adminToken = () => signToken({ sub: 'ADMIN01', role: 'admin' });

const FINAL_STATUSES = ['CONFIRMED', 'REJECTED', 'CANCELLED', 'SHIPPED', 'DELIVERED'];

export function orderBody(items: { productId: string; quantity: number }[], extra: Record<string, unknown> = {}) {
  return { items, shippingAddress: validAddress, ...extra };
}

/** POST /api/v1/orders and expect 202; returns the new order id. */
export async function placeOrder(token: string, body: object): Promise<string> {
  const res = await api().post('/api/v1/orders').set('authorization', `Bearer ${token}`).send(body);
  if (res.status !== 202) throw new Error(`expected 202, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** Polls GET /api/v1/orders/:id until the order has left PENDING. */
export function waitForDecision(orderId: string, token = adminToken(), timeoutMs = 30_000): Promise<Order> {
  return waitFor(
    async () => {
      const res = await api().get(`/api/v1/orders/${orderId}`).set('authorization', `Bearer ${token}`);
      return res.status === 200 && FINAL_STATUSES.includes(res.body.status) ? (res.body as Order) : undefined;
    },
    { timeoutMs, intervalMs: 100, what: `order ${orderId} to be decided` },
  );
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const newAddress = { line1: '9 New Road', line2: 'Flat 2', city: 'Hamburg', postalCode: '20095', country: 'DE' };

/** Places an order and waits until it is CONFIRMED. */
export async function confirmedOrder(token: string, items: { productId: string; quantity: number }[], extra = {}) {
  const order = await waitForDecision(await placeOrder(token, orderBody(items, extra)));
  if (order.status !== 'CONFIRMED') throw new Error(`expected CONFIRMED, got ${order.status} ${order.rejectionReason}`);
  return order;
}
