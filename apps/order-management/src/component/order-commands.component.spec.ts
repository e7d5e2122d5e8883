import { randomUUID } from 'node:crypto';
import { Headers, Topics, deadLetterTopic, type Caller, type Order } from '@orderline/contracts';
import { RequestTimeoutError } from '@orderline/messaging';
import { createOrder, orderManagementUnderTest, requestOf } from './order-management-under-test';

/**
 * order-management's contract on `orders.commands`, against the real Postgres with the other
 * services faked (no Kafka): what a command stores, what it announces (outbox), what it asks of
 * customer-service and inventory, what it answers and what it dead-letters.
 */
const om = orderManagementUnderTest();
// the first query opens the pool and prepares Prisma: not charged to the first test (a busy machine took over 5 s)
beforeAll(() => om.orders.findById(randomUUID()), 60_000);
afterAll(() => om.close());

const { services } = om;
const stored = (orderId: string) => om.orders.findById(orderId);
const orderIdOf = (envelope: { payload: unknown }) => (envelope.payload as { orderId: string }).orderId;
const replyPayload = (request: Parameters<typeof om.replyTo>[0]) => om.replyTo(request)?.payload;

describe('CreateOrder', () => {
  it('is decided with prices and total from inventory, stored once with its OrderConfirmed event; a keyed one is answered', async () => {
    const customer = services.addCustomer();
    const [mug, pen] = [services.addProduct(10, '4.50'), services.addProduct(10, '0.99')];
    const command = createOrder(
      customer,
      [
        { productId: mug, quantity: 2 },
        { productId: pen, quantity: 3 },
      ],
      { replyTo: Topics.gatewayReplies, requestHash: 'a'.repeat(64) },
    );
    await om.deliver(command);

    const order = await stored(orderIdOf(command));
    expect(order).toMatchObject({ status: 'CONFIRMED', totalAmount: '11.97', customerId: customer, version: 1 });
    expect(order?.items).toEqual(
      expect.arrayContaining([
        { productId: mug, quantity: 2, unitPrice: '4.50' },
        { productId: pen, quantity: 3, unitPrice: '0.99' },
      ]),
    );
    expect((await om.outbox(orderIdOf(command))).map((row) => row.type)).toEqual(['OrderConfirmed']);
    expect(replyPayload(command)).toEqual({ ok: true, result: { orderId: orderIdOf(command), created: true } });
    expect(services.requested('GetCustomers')).toEqual([{ customerIds: [customer] }]);
  });

  it('redelivered, alone or in the same batch: one order, one event, one reservation; the repeat is answered as not created', async () => {
    const customer = services.addCustomer();
    const product = services.addProduct(10);
    const command = createOrder(customer, [{ productId: product, quantity: 4 }], {
      replyTo: Topics.gatewayReplies,
      requestHash: 'b'.repeat(64),
    });
    await om.deliver(command, command);
    await om.deliver(command);

    expect(await stored(orderIdOf(command))).toMatchObject({ status: 'CONFIRMED' });
    expect((await om.outbox(orderIdOf(command))).map((row) => row.type)).toEqual(['OrderConfirmed']);
    expect(services.stock.get(product)?.available).toBe(6);
    const answers = om.replies.filter((r) => r.envelope.inReplyTo === command.messageId).map((r) => r.envelope.payload);
    expect(answers).toEqual([
      { ok: true, result: { orderId: orderIdOf(command), created: true } },
      { ok: true, result: { orderId: orderIdOf(command), created: false } },
      { ok: true, result: { orderId: orderIdOf(command), created: false } },
    ]);
  });

  it('the same Idempotency-Key with another request is answered CONFLICT, the order left as it is', async () => {
    const customer = services.addCustomer();
    const product = services.addProduct(10);
    const first = createOrder(customer, [{ productId: product, quantity: 1 }], {
      replyTo: Topics.gatewayReplies,
      requestHash: 'c'.repeat(64),
    });
    const reused = createOrder(customer, [{ productId: product, quantity: 5 }], {
      orderId: orderIdOf(first),
      replyTo: Topics.gatewayReplies,
      requestHash: 'd'.repeat(64),
    });
    await om.deliver(first);
    await om.deliver(reused);
    expect(replyPayload(reused)).toEqual({ ok: false, error: { code: 'CONFLICT', message: expect.any(String) } });
    expect((await stored(orderIdOf(first)))?.items).toEqual([expect.objectContaining({ quantity: 1 })]);
  });

  it("a blocked customer's order is REJECTED without asking for stock, and a reservation made for it before is released with the decision", async () => {
    const blocked = services.addCustomer({ blocked: true });
    const product = services.addProduct(10);
    const command = createOrder(blocked, [{ productId: product, quantity: 3 }]);
    // its first delivery reserved, then the process died before storing; meanwhile the customer was blocked
    services.reserveBefore(orderIdOf(command), [{ productId: product, quantity: 3 }]);
    await om.deliver(command);

    expect(await stored(orderIdOf(command))).toMatchObject({ status: 'REJECTED', rejectionReason: 'CUSTOMER_BLOCKED', totalAmount: null });
    expect(services.requested('ReserveStock')).not.toContainEqual({ orders: [expect.objectContaining({ orderId: orderIdOf(command) })] });
    expect(await om.outbox(orderIdOf(command))).toEqual([
      { type: 'OrderRejected', payload: { order: expect.objectContaining({ status: 'REJECTED', rejectionReason: 'CUSTOMER_BLOCKED' }) } },
      { type: 'ReleaseReservations', payload: { orderIds: [orderIdOf(command)] } },
    ]);
  });

  it('out of stock: REJECTED naming nothing to release, while the next order of the batch is CONFIRMED', async () => {
    const customer = services.addCustomer();
    const scarce = services.addProduct(2);
    const tooMany = createOrder(customer, [{ productId: scarce, quantity: 3 }]);
    const fits = createOrder(customer, [{ productId: scarce, quantity: 2 }]);
    await om.deliver({ envelope: tooMany, partition: 1 }, { envelope: fits, partition: 2 });

    expect(await stored(orderIdOf(tooMany))).toMatchObject({ status: 'REJECTED', rejectionReason: 'OUT_OF_STOCK' });
    expect(await stored(orderIdOf(fits))).toMatchObject({ status: 'CONFIRMED' });
    expect((await om.outbox(orderIdOf(tooMany))).map((row) => row.type)).toEqual(['OrderRejected']);
    expect(services.requested('ReserveStock')).toContainEqual({
      orders: [expect.objectContaining({ orderId: orderIdOf(tooMany) }), expect.objectContaining({ orderId: orderIdOf(fits) })],
    });
  });

  it('waits out a reservation that times out (no attempt used up, nothing dead-lettered)', async () => {
    const customer = services.addCustomer();
    const product = services.addProduct(10);
    const command = createOrder(customer, [{ productId: product, quantity: 1 }]);
    services.failNext('ReserveStock', new RequestTimeoutError('no reply to ReserveStock within 5000 ms'));
    services.failNext('ReserveStock', new RequestTimeoutError('no reply to ReserveStock within 5000 ms'));
    const lettersBefore = om.deadLetters.length;
    await om.deliver(command);
    expect(await stored(orderIdOf(command))).toMatchObject({ status: 'CONFIRMED' });
    expect(om.deadLetters.length).toBe(lettersBefore);
  });

  it('one the database refuses ends REJECTED / PROCESSING_FAILED, dead-lettered with its reason and its reservation released; the rest of its batch goes through', async () => {
    const customer = services.addCustomer();
    const refused = services.addProduct(10);
    const fine = services.addProduct(10);
    const trigger = `component_refuse_${randomUUID().slice(0, 8)}`;
    // a real refusal: the database rejects every line item naming this product (as a CHECK would)
    await om.prisma.$executeRawUnsafe(`
      CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'the component spec refuses lines of ${refused}' USING ERRCODE = 'check_violation'; END $$`);
    await om.prisma.$executeRawUnsafe(`
      CREATE TRIGGER ${trigger} BEFORE INSERT ON order_line_items FOR EACH ROW
      WHEN (NEW.product_id = '${refused}') EXECUTE FUNCTION ${trigger}()`);
    const bad = createOrder(customer, [{ productId: refused, quantity: 7 }]);
    const good = createOrder(customer, [{ productId: fine, quantity: 1 }]);
    try {
      await om.deliver({ envelope: bad, partition: 3 }, { envelope: good, partition: 4 });
    } finally {
      await om.prisma.$executeRawUnsafe(`DROP TRIGGER IF EXISTS ${trigger} ON order_line_items`);
      await om.prisma.$executeRawUnsafe(`DROP FUNCTION IF EXISTS ${trigger}()`);
    }

    expect(await stored(orderIdOf(good))).toMatchObject({ status: 'CONFIRMED' });
    expect(await stored(orderIdOf(bad))).toMatchObject({ status: 'REJECTED', rejectionReason: 'PROCESSING_FAILED', items: [] });
    const letter = om.deadLetters.find((l) => String(l.key) === orderIdOf(bad));
    expect(letter?.topic).toBe(deadLetterTopic(Topics.orderCommands));
    expect(letter?.headers?.[Headers.error]).toMatch(/refuses lines/);
    expect(letter?.headers?.[Headers.sourcePartition]).toBe('3');
    expect((await om.outbox(orderIdOf(bad))).map((row) => row.type)).toEqual(['OrderRejected', 'ReleaseReservations']);
  });
});

describe('requests on one order', () => {
  /** A CONFIRMED order of a customer of its own, placed through the route. */
  async function confirmedOrder(): Promise<{ orderId: string; owner: Caller; product: string }> {
    const owner: Caller = { customerId: services.addCustomer(), role: 'customer' };
    const product = services.addProduct(10);
    const command = createOrder(owner.customerId, [{ productId: product, quantity: 2 }]);
    await om.deliver(command);
    return { orderId: orderIdOf(command), owner, product };
  }
  const admin: Caller = { customerId: 'ADMIN01', role: 'admin' };
  const answered = async (type: string, payload: Record<string, unknown>, partition = 0) => {
    const request = requestOf(type, payload);
    await om.deliver({ envelope: request, partition });
    return om.replyTo(request)?.payload as { ok: true; result: { order: Order } } | { ok: false; error: { code: string } };
  };

  it("answers NOT_FOUND for another customer's order and FORBIDDEN for a customer shipping, changing nothing", async () => {
    const { orderId, owner } = await confirmedOrder();
    const stranger: Caller = { customerId: services.addCustomer(), role: 'customer' };
    expect(await answered('GetOrder', { orderId, caller: stranger })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await answered('GetOrder', { orderId, caller: owner })).toMatchObject({
      ok: true,
      result: { order: { id: orderId, version: 1 } },
    });
    const ship = {
      orderId,
      caller: owner,
      expectedVersion: 1,
      status: 'SHIPPED',
      tracking: { trackingCompany: 'DHL', trackingNumber: '1' },
    };
    expect(await answered('UpdateOrder', ship)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await answered('UpdateOrder', { ...ship, caller: admin })).toMatchObject({
      ok: true,
      result: { order: { status: 'SHIPPED', version: 2 } },
    });
    expect(await answered('CancelOrder', { orderId, caller: owner })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
  });

  it('two cancels at once (from two partitions): one cancels, both answer CANCELLED, one event, the stock given back once', async () => {
    const { orderId, owner, product } = await confirmedOrder();
    const [a, b] = [requestOf('CancelOrder', { orderId, caller: owner }), requestOf('CancelOrder', { orderId, caller: admin })];
    await om.deliver({ envelope: a, partition: 5 }, { envelope: b, partition: 6 });

    for (const request of [a, b])
      expect(om.replyTo(request)?.payload).toMatchObject({ ok: true, result: { order: { status: 'CANCELLED', version: 2 } } });
    expect((await om.outbox(orderId)).map((row) => row.type)).toEqual(['OrderConfirmed', 'OrderCancelled']);
    expect(services.requested('ReleaseStock')).toEqual(expect.arrayContaining([{ orderId }]));
    expect(services.stock.get(product)?.available).toBe(10);
  });

  it('a cancel racing a shipment: exactly one wins, the other is refused (CONFLICT or PRECONDITION_FAILED), one event', async () => {
    const { orderId, owner } = await confirmedOrder();
    const cancel = requestOf('CancelOrder', { orderId, caller: owner });
    const ship = requestOf('UpdateOrder', {
      orderId,
      caller: admin,
      expectedVersion: 1,
      status: 'SHIPPED',
      tracking: { trackingCompany: 'DHL', trackingNumber: '2' },
    });
    await om.deliver({ envelope: cancel, partition: 7 }, { envelope: ship, partition: 8 });

    const final = (await stored(orderId))?.status;
    expect(['CANCELLED', 'SHIPPED']).toContain(final);
    const [winner, loser] = final === 'CANCELLED' ? [cancel, ship] : [ship, cancel];
    expect(om.replyTo(winner)?.payload).toMatchObject({ ok: true, result: { order: { status: final, version: 2 } } });
    expect(om.replyTo(loser)?.payload).toMatchObject({
      ok: false,
      error: { code: final === 'CANCELLED' ? 'PRECONDITION_FAILED' : 'CONFLICT' },
    });
    expect((await om.outbox(orderId)).map((row) => row.type)).toEqual([
      'OrderConfirmed',
      final === 'CANCELLED' ? 'OrderCancelled' : 'OrderShipped',
    ]);
  });
});
