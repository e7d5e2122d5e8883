import { randomUUID } from 'node:crypto';
import { createPrismaClient, isDatabaseReachable, isPermanentDataError, isUniqueViolation } from './prisma';

/** Against the real Postgres (npm run infra:up). */
const url = process.env['DATABASE_URL'] ?? 'postgresql://orderline:orderline@127.0.0.1:5432/orderline';

describe('prisma client on the driver adapter', () => {
  const prisma = createPrismaClient(url, { poolSize: 2 });
  afterAll(() => prisma.$disconnect());

  it('reaches the database and reports unique violations recognisably', async () => {
    expect(await isDatabaseReachable(prisma)).toBe(true);
    const id = `T-${randomUUID().slice(0, 20)}`;
    await prisma.customer.create({ data: { id, name: 'x', email: 'x@example.com' } });
    const duplicate = await prisma.customer.create({ data: { id, name: 'x', email: 'x@example.com' } }).catch((e: unknown) => e);
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(isPermanentDataError(duplicate)).toBe(false);
    const tooLong = await prisma.customer.create({ data: { id: 'X'.repeat(40), name: 'x', email: 'x' } }).catch((e: unknown) => e);
    expect(isPermanentDataError(tooLong)).toBe(true);
    expect(isPermanentDataError(new Error('connection refused'))).toBe(false);
    await prisma.customer.delete({ where: { id } });
  });

  it('says unreachable (false, quickly) when nothing listens', async () => {
    const nowhere = createPrismaClient('postgresql://orderline:orderline@127.0.0.1:1/orderline', { poolSize: 1 });
    const started = Date.now();
    expect(await isDatabaseReachable(nowhere, 1_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
    await nowhere.$disconnect().catch(() => undefined);
  });
});
