import request from 'supertest';
import { OrderlineClient, OrderlineProblem } from '@orderline/client';
import type { Order } from '@orderline/contracts';
import { signToken, validAddress, waitFor } from '@orderline/testing';

const gatewayUrl = () => process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:3100';
export const api = () => request(gatewayUrl());
/** The typed client (@orderline/client) as `token`'s holder, on the first gateway instance or at `baseUrl`. */
export const clientFor = (token: string, baseUrl = gatewayUrl()) => new OrderlineClient({ baseUrl, token });

/** Every gateway instance the launcher started (E2E_INSTANCES=2: two), first the one at GATEWAY_URL. */
export function gatewayUrls(): string[] {
  const targets = JSON.parse(process.env['SYSTEM_METRICS_URLS'] ?? '[]') as { app: string; url: string }[];
  const urls = targets.filter((t) => t.app === 'gateway').map((t) => t.url.replace(/\/metrics$/, ''));
  return urls.length > 0 ? urls : [gatewayUrl()];
}

export const customerToken = (customerId = 'CUST01') => signToken({ sub: customerId, role: 'customer' });
export const adminToken = () => signToken({ sub: 'ADMIN01', role: 'admin' });

export function orderBody(items: { productId: string; quantity: number }[], extra: Record<string, unknown> = {}) {
  return { items, shippingAddress: validAddress, ...extra };
}

/** POST /api/v1/orders (it must be accepted, 202); returns the new order id. */
export async function placeOrder(token: string, body: object): Promise<string> {
  return (await clientFor(token).createOrder(body as Parameters<OrderlineClient['createOrder']>[0])).id;
}

/** Waits until the order has left PENDING (the client's waitForOrder: its event stream, or long-polls). */
export function waitForDecision(orderId: string, token = adminToken(), timeoutMs = 30_000): Promise<Order> {
  const deadline = Date.now() + timeoutMs;
  return waitFor(
    async () => {
      try {
        return await clientFor(token).waitForOrder(orderId, { timeoutMs: Math.max(1, deadline - Date.now()) });
      } catch (error) {
        if (error instanceof OrderlineProblem && error.status === 404) return undefined; // not readable yet: look again
        throw error;
      }
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
