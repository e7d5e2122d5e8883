import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createTestProduct, testPrisma, waitFor } from '@orderline/testing';
import { api, bearer, customerToken, orderBody, placeOrder, waitForDecision } from './support/api';

const prisma = testPrisma();
afterAll(() => prisma.$disconnect());

/** Every log line every app has written so far (the system runs at LOG_LEVEL=debug here). */
function allLogText(): string {
  const logDir = process.env['SYSTEM_LOG_DIR'] as string;
  return readdirSync(logDir)
    .filter((file) => file.endsWith('.log'))
    .map((file) => readFileSync(path.join(logDir, file), 'utf8'))
    .join('\n');
}

describe('logs', () => {
  it('carry the order id but never the token or the shipping address, even for bad requests', async () => {
    // Every part is unique to this run and has letters outside hex, so it cannot turn up by chance
    // inside the thousands of uuids, offsets and timings the whole suite has logged (a plain
    // '04109' did once, in CI).
    const unique = randomUUID().slice(0, 8);
    const street = `${randomUUID()} Privacy Lane`;
    const flat = `Flat Q${unique}`;
    const postalCode = `PZ-${unique}`;
    const address = { line1: street, line2: flat, city: 'Leipzig', postalCode, country: 'DE' };
    const token = customerToken('CUST03');
    const product = await createTestProduct(prisma, { stock: 5, unitPrice: '2.00' });

    const id = await placeOrder(token, orderBody([{ productId: product.id, quantity: 1 }], { shippingAddress: address }));
    await waitForDecision(id, token);
    // a rejected body and a bad token are logged as failures: still nothing sensitive in them
    const bad = await api()
      .post('/api/v1/orders')
      .set(bearer(token))
      .send({ ...orderBody([{ productId: product.id, quantity: 0 }]), shippingAddress: address });
    expect(bad.status).toBe(400);
    const forged = `${token.slice(0, -4)}AAAA`;
    expect((await api().get(`/api/v1/orders/${id}`).set(bearer(forged))).status).toBe(401);

    // the order's lines are there (so the logs are being read), at every hop
    await waitFor(
      () =>
        allLogText()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line))
          .some((entry) => entry.service === 'order-management' && entry.orderId === id),
      { what: 'an order-management log line carrying the order id' },
    );
    const text = allLogText();
    for (const secret of [token, forged, token.split('.')[2], street, flat, postalCode]) {
      expect(text).not.toContain(secret);
    }
  });
});
