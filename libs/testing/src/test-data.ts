import { randomUUID } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '@orderline/db';

const TEST_DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgresql://orderline:orderline@127.0.0.1:5432/orderline';

export function testPrisma(): PrismaClient {
  return createPrismaClient(TEST_DATABASE_URL, { poolSize: 4 });
}

/** A product of the test's own (unique id), so tests never share stock. */
export async function createTestProduct(
  prisma: PrismaClient,
  { stock = 100, unitPrice = '10.00', name = 'Test product' }: { stock?: number; unitPrice?: string; name?: string } = {},
): Promise<{ id: string; stock: number; unitPrice: string }> {
  const id = `T-${randomUUID().slice(0, 23)}`;
  // with its first stock-log row, as inventory creates products, so the product's log adds up to its stock
  await prisma.$transaction([
    prisma.product.create({ data: { id, name, description: 'created by a test', unitPrice, availableQuantity: stock } }),
    prisma.stockMovement.create({ data: { productId: id, kind: 'CREATED', delta: stock, quantityAfter: stock } }),
  ]);
  return { id, stock, unitPrice };
}

export async function stockOf(prisma: PrismaClient, productId: string): Promise<number> {
  const product = await prisma.product.findUniqueOrThrow({ where: { id: productId }, select: { availableQuantity: true } });
  return product.availableQuantity;
}

export const validAddress = { line1: '1 Test Street', city: 'Berlin', postalCode: '10115', country: 'DE' };

/** A customer of the test's own, so listings by customer hold only this test's orders. */
export async function createTestCustomer(prisma: PrismaClient, { blocked = false } = {}): Promise<string> {
  const id = `TC-${randomUUID().slice(0, 20)}`;
  await prisma.customer.create({ data: { id, name: 'Test customer', email: `${id}@example.com`, blocked } });
  return id;
}
