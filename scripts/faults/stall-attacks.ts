import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { Topics } from '@orderline/contracts';
import type { PrismaClient } from '@orderline/db';
import { newEnvelope, type Publisher } from '@orderline/messaging';
import { createTestCustomer, signToken } from '@orderline/testing';

/**
 * The faults of issue 11, injected while a scenario's load runs: none may stall the decisions of
 * the load's own orders, lose one, or leak stock.
 */
export interface AttackContext {
  gatewayUrl: string;
  prisma: PrismaClient;
  kafka: Kafka;
  publisher: Publisher;
  /** the scenario's products */
  productIds: string[];
}

const cjk = (n: number, i: number) => `${'注'.repeat(n - String(i).length)}${i}`;

/**
 * An attacker places 80 orders of 100 lines with 32-character CJK product ids and maximal CJK
 * addresses (~1.2 MB as one list), then lists them all with limit=100; returns what it saw.
 */
export async function oversizedOrders({ gatewayUrl, prisma }: AttackContext): Promise<string> {
  const token = signToken({ sub: await createTestCustomer(prisma), role: 'customer' });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const statuses = await Promise.all(
    Array.from({ length: 80 }, async (_, i) => {
      const res = await fetch(`${gatewayUrl}/api/v1/orders`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          items: Array.from({ length: 100 }, (_, line) => ({ productId: cjk(32, i * 100 + line), quantity: 100 })),
          shippingAddress: { line1: cjk(200, i), line2: cjk(200, i), city: cjk(100, i), postalCode: cjk(20, i), country: 'DE' },
        }),
      });
      return res.status;
    }),
  );
  // the attacker lists its orders (limit=100) until all 80 are stored and listed, at most 30 s
  let pages = 0;
  let listed = 0;
  const listStatuses = new Set<number>();
  for (const deadline = Date.now() + 30_000; listed < 80 && Date.now() < deadline; ) {
    pages = 0;
    listed = 0;
    for (let cursor: string | null = null, first = true; (first || cursor) && pages < 50; first = false) {
      const res = await fetch(`${gatewayUrl}/api/v1/orders?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers });
      listStatuses.add(res.status);
      const body = (await res.json()) as { items?: unknown[]; nextCursor?: string | null };
      pages++;
      listed += body.items?.length ?? 0;
      cursor = body.nextCursor ?? null;
    }
    if (listed < 80) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return `attacker: ${statuses.filter((s) => s === 202).length}/80 accepted; list answered ${[...listStatuses].join(',')}, ${listed} orders in ${pages} pages`;
}

/** Requests naming `replyTo: "no-such-topic"` on every request topic. */
export async function badReplyTopics({ publisher }: AttackContext): Promise<string> {
  const caller = { customerId: 'CUST01', role: 'admin' };
  const requests: [string, string, unknown][] = [
    [Topics.orderCommands, 'GetOrder', { orderId: randomUUID(), caller }],
    [Topics.orderQueries, 'ListOrders', { caller, limit: 100 }],
    [Topics.customerRequests, 'GetCustomers', { customerIds: ['CUST01'] }],
    [Topics.inventoryRequests, 'GetProduct', { productId: 'PROD-0001' }],
  ];
  for (let i = 0; i < 25; i++) {
    await publisher.publish(
      ...requests.map(([topic, type, payload]) => ({
        topic,
        key: randomUUID(),
        envelope: newEnvelope(type, payload, `faults-bad-reply-${i}`, { replyTo: 'no-such-topic' }),
      })),
    );
  }
  return 'published 100 requests with replyTo "no-such-topic"';
}

/** For 5 s the database refuses every line item of the scenario's first product (a trigger). */
export async function databaseRefusal({ prisma, productIds }: AttackContext): Promise<string> {
  const name = `faults_refuse_${randomUUID().slice(0, 8)}`;
  await prisma.$executeRawUnsafe(`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'faults: refusing lines of ${productIds[0]}' USING ERRCODE = 'check_violation'; END $$`);
  await prisma.$executeRawUnsafe(`
    CREATE TRIGGER ${name} BEFORE INSERT ON order_line_items FOR EACH ROW
    WHEN (NEW.product_id = '${productIds[0]}') EXECUTE FUNCTION ${name}()`);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  await prisma.$executeRawUnsafe(`DROP TRIGGER ${name} ON order_line_items`);
  await prisma.$executeRawUnsafe(`DROP FUNCTION ${name}()`);
  return `the database refused lines of ${productIds[0]} for 5 s`;
}

/** For 5 s the broker refuses messages over 2,000 bytes on inventory.requests (a batch's reservation is larger). */
export async function brokerRefusal({ kafka }: AttackContext): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  const setLimit = (value: string) =>
    admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: Topics.inventoryRequests, configEntries: [{ name: 'max.message.bytes', value }] },
      ],
    });
  try {
    await setLimit('2000');
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  } finally {
    await setLimit('1048588');
    await admin.disconnect();
  }
  return 'the broker refused ReserveStock requests over 2,000 bytes for 5 s';
}
