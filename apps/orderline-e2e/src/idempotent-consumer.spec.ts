import { randomUUID } from 'node:crypto';
import { CreateOrder, Topics } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { Publisher, createKafka, newEnvelope } from '@orderline/messaging';
import { createTestProduct, stockOf, testPrisma, validAddress, waitFor } from '@orderline/testing';
import { waitForDecision } from './support/api';

const prisma = testPrisma();
const kafka = createKafka({ clientId: 'e2e-idempotency', brokers: ['127.0.0.1:9092'], logger: createLogger('e2e', 'error') });
const publisher = new Publisher(kafka);

beforeAll(() => publisher.connect());
afterAll(async () => {
  await publisher.disconnect();
  await prisma.$disconnect();
});

describe('order-management consumes at-least-once without doubling anything', () => {
  it('the same CreateOrder delivered three times → one order, stock reserved once', async () => {
    const product = await createTestProduct(prisma, { stock: 10, unitPrice: '4.00' });
    const orderId = randomUUID();
    const envelope = newEnvelope(
      CreateOrder.type,
      { orderId, customerId: 'CUST08', items: [{ productId: product.id, quantity: 4 }], shippingAddress: validAddress },
      `idem-${orderId}`,
    );
    const message = { topic: Topics.orderCommands, key: orderId, envelope };
    await publisher.publish(message, message);
    const order = await waitForDecision(orderId);
    await publisher.publish(message); // a late redelivery, after the decision

    // the late copy has been consumed once order-management answered a read queued behind it
    await waitForDecision(orderId);
    expect(order).toMatchObject({ status: 'CONFIRMED', totalAmount: '16.00' });
    expect(await prisma.order.count({ where: { id: orderId } })).toBe(1);
    expect(await prisma.orderLineItem.count({ where: { orderId } })).toBe(1);
    expect(await stockOf(prisma, product.id)).toBe(6);
    expect(await prisma.stockReservation.count({ where: { orderId } })).toBe(1);
    expect(await prisma.outboxEvent.count({ where: { aggregateId: orderId } })).toBe(1);
  });

  it('the same order id in two different messages (a client retry) → still one order', async () => {
    const product = await createTestProduct(prisma, { stock: 10 });
    const orderId = randomUUID();
    const payload = { orderId, customerId: 'CUST09', items: [{ productId: product.id, quantity: 2 }], shippingAddress: validAddress };
    await publisher.publish(
      { topic: Topics.orderCommands, key: orderId, envelope: newEnvelope(CreateOrder.type, payload, 'retry-1') },
      { topic: Topics.orderCommands, key: orderId, envelope: newEnvelope(CreateOrder.type, payload, 'retry-2') },
    );
    await waitForDecision(orderId);
    await waitFor(async () => (await stockOf(prisma, product.id)) === 8, { what: 'the reservation' });
    expect(await prisma.stockReservation.count({ where: { orderId } })).toBe(1);
    expect(await stockOf(prisma, product.id)).toBe(8);
  });
});
