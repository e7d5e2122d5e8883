import { randomUUID } from 'node:crypto';
import { createPrismaClient, isPermanentDataError, isUniqueViolation } from './prisma';
import { inTransaction, poolOf } from './sql';

/** Against the real Postgres (npm run infra:up). */
const url = process.env['DATABASE_URL'] ?? 'postgresql://orderline:orderline@127.0.0.1:5432/orderline';

describe('plain SQL on the pool under a Prisma client', () => {
  const prisma = createPrismaClient(url, { poolSize: 2 });
  const pool = poolOf(prisma);
  const customerIds: string[] = [];
  const newId = () => {
    const id = `T-${randomUUID().slice(0, 20)}`;
    customerIds.push(id);
    return id;
  };
  const exists = async (id: string) => (await pool.query('SELECT 1 FROM customers WHERE id = $1', [id])).rowCount === 1;
  const insert = (db: { query: typeof pool.query }, id: string) =>
    db.query(`INSERT INTO customers (id, name, email) VALUES ($1, 'x', 'x@example.com')`, [id]);

  afterAll(async () => {
    await prisma.customer.deleteMany({ where: { id: { in: customerIds } } });
    await prisma.$disconnect();
  });

  it('commits what the transaction wrote when it resolves, and Prisma sees it', async () => {
    const id = newId();
    await inTransaction(pool, (db) => insert(db, id));
    expect(await prisma.customer.findUnique({ where: { id } })).toMatchObject({ id });
  });

  it('rolls back everything when it throws, and hands the connection back usable', async () => {
    const id = newId();
    const failed = await inTransaction(pool, async (db) => {
      await insert(db, id);
      await insert(db, id); // unique violation
    }).catch((error: unknown) => error);
    expect(isUniqueViolation(failed)).toBe(true);
    expect(isPermanentDataError(failed)).toBe(false);
    expect(await exists(id)).toBe(false);
    // both connections of the pool of 2 still work
    expect(await Promise.all([exists(id), exists(id), exists(id)])).toEqual([false, false, false]);
  });

  it("classifies node-postgres' errors like Prisma's: data the database refuses is permanent", async () => {
    const tooLong = await insert(pool, 'X'.repeat(40)).catch((error: unknown) => error);
    expect(isPermanentDataError(tooLong)).toBe(true);
    const nul = await pool.query('SELECT $1::json->>0', [JSON.stringify(['a\u0000b'])]).catch((error: unknown) => error);
    expect(isPermanentDataError(nul)).toBe(true);
  });

  it('survives the database dropping the connection between two statements, and does not reuse it', async () => {
    const killer = createPrismaClient(url, { poolSize: 1 });
    try {
      const failed = await inTransaction(pool, async (db) => {
        const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await poolOf(killer).query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
        // the connection's error event fires here, between statements (it crashed the process before)
        await new Promise((resolve) => setTimeout(resolve, 200));
        await db.query('SELECT 1');
      }).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(Error);
      // the pool replaces the dropped connection
      expect(await Promise.all([exists('nobody'), exists('nobody')])).toEqual([false, false]);
    } finally {
      await killer.$disconnect();
    }
  });

  it('refuses a client that was not made by createPrismaClient', () => {
    expect(() => poolOf({})).toThrow(/no pg pool/);
  });
});
