import {
  DEFAULT_DATABASE_OPTIONS,
  createPrismaClient,
  isDatabaseUnavailable,
  isPermanentDataError,
  pgErrorCode,
  type DatabaseOptions,
} from './prisma';
import { inTransaction, poolOf } from './sql';

/** Against the real Postgres (npm run infra:up): every bound of a connection is hit once. */
const url = process.env['DATABASE_URL'] ?? 'postgresql://orderline:orderline@127.0.0.1:5432/orderline';

const clients: Array<ReturnType<typeof createPrismaClient>> = [];
function client(options: DatabaseOptions) {
  const prisma = createPrismaClient(url, options);
  clients.push(prisma);
  return prisma;
}
afterAll(() => Promise.all(clients.map((prisma) => prisma.$disconnect().catch(() => undefined))));

/** The error `promise` fails with, and how long it took. */
async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await promise.then(
    () => new Error('it succeeded'),
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

const ordinary = (error: unknown) => !isDatabaseUnavailable(error) && !isPermanentDataError(error);

describe('connection timeouts', () => {
  it('sets every timeout on each connection, the production defaults unless told otherwise', async () => {
    const settings = async (prisma: ReturnType<typeof createPrismaClient>) =>
      (
        await poolOf(prisma).query<{ statement: string; lock: string; idle: string }>(
          `SELECT current_setting('statement_timeout') AS statement, current_setting('lock_timeout') AS lock,
                  current_setting('idle_in_transaction_session_timeout') AS idle`,
        )
      ).rows[0];
    expect(DEFAULT_DATABASE_OPTIONS).toEqual({
      poolSize: 10,
      statementTimeoutMs: 15_000,
      lockTimeoutMs: 5_000,
      idleInTransactionTimeoutMs: 30_000,
      poolWaitTimeoutMs: 5_000,
    });
    expect(await settings(client({ poolSize: 1 }))).toEqual({ statement: '15s', lock: '5s', idle: '30s' });
    expect(
      await settings(client({ poolSize: 1, statementTimeoutMs: 1_234, lockTimeoutMs: 567, idleInTransactionTimeoutMs: 8_900 })),
    ).toEqual({
      statement: '1234ms',
      lock: '567ms',
      idle: '8900ms',
    });
  });

  it('refuses a timeout of 0 (node-postgres would read it as "no limit")', () => {
    expect(() => createPrismaClient(url, { statementTimeoutMs: 0 })).toThrow(/statementTimeoutMs must be a positive integer/);
    expect(() => createPrismaClient(url, { poolWaitTimeoutMs: -1 })).toThrow(/poolWaitTimeoutMs/);
  });

  it('cancels a statement that runs longer than statement_timeout (57014), an ordinary failure', async () => {
    const prisma = client({ poolSize: 1, statementTimeoutMs: 300 });
    const plain = await failure(poolOf(prisma).query('SELECT pg_sleep(30)'));
    expect(pgErrorCode(plain.error)).toBe('57014');
    expect(plain.ms).toBeLessThan(3_000);
    expect(ordinary(plain.error)).toBe(true);
    const viaPrisma = await failure(prisma.$queryRaw`SELECT pg_sleep(30)`);
    expect(pgErrorCode(viaPrisma.error)).toBe('57014');
    expect(viaPrisma.ms).toBeLessThan(3_000);
    expect(ordinary(viaPrisma.error)).toBe(true);
    // the connection is fine afterwards
    expect((await poolOf(prisma).query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('ends a wait for a lock after lock_timeout (55P03), an ordinary failure', async () => {
    const holder = client({ poolSize: 1 });
    const waiter = client({ poolSize: 1, lockTimeoutMs: 300, statementTimeoutMs: 20_000 });
    const lockId = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = inTransaction(poolOf(holder), async (db) => {
      await db.query('SELECT pg_advisory_xact_lock($1)', [lockId]);
      locked();
      await released;
    });
    try {
      await isLocked;
      const plain = await failure(poolOf(waiter).query('SELECT pg_advisory_xact_lock($1)', [lockId]));
      expect(pgErrorCode(plain.error)).toBe('55P03');
      expect(plain.ms).toBeLessThan(3_000);
      expect(ordinary(plain.error)).toBe(true);
      const viaPrisma = await failure(waiter.$transaction((tx) => tx.$queryRaw`SELECT pg_advisory_xact_lock(${lockId})`));
      expect(pgErrorCode(viaPrisma.error)).toBe('55P03');
      expect(ordinary(viaPrisma.error)).toBe(true);
    } finally {
      release();
      await holding;
    }
  });

  it('terminates a session idle in a transaction (25P03): its locks are freed, the pool replaces the connection', async () => {
    const prisma = client({ poolSize: 1, idleInTransactionTimeoutMs: 300 });
    const pool = poolOf(prisma);
    let pid = 0;
    const plain = await failure(
      inTransaction(pool, async (db) => {
        pid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        // a process that hangs inside its transaction (here: waits for something that never comes in time)
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await db.query('SELECT 1');
      }),
    );
    expect(pgErrorCode(plain.error)).toBe('25P03');
    expect(ordinary(plain.error)).toBe(true);
    const observer = poolOf(client({ poolSize: 1 }));
    expect((await observer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount).toBe(0);

    // Prisma's interactive transaction too; its ended connection goes back (Prisma 6.19 kept it
    // checked out: with a pool of 1 the next query would wait for good)
    const viaPrisma = await failure(
      prisma.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT 1`;
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          await tx.$queryRaw`SELECT 1`;
        },
        { timeout: 10_000 },
      ),
    );
    expect(viaPrisma.error).toBeInstanceOf(Error);
    expect(await prisma.$queryRaw`SELECT 1 AS one`).toEqual([{ one: 1 }]);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('with every connection of the pool busy, a caller fails after the pool wait instead of waiting for good ("unavailable")', async () => {
    const prisma = client({ poolSize: 1, poolWaitTimeoutMs: 400 });
    const pool = poolOf(prisma);
    const busy = await pool.connect();
    try {
      const plain = await failure(pool.query('SELECT 1'));
      expect(plain.ms).toBeGreaterThanOrEqual(350);
      expect(plain.ms).toBeLessThan(3_000);
      expect(isDatabaseUnavailable(plain.error)).toBe(true);
      const viaPrisma = await failure(prisma.$queryRaw`SELECT 1`);
      expect(viaPrisma.ms).toBeLessThan(3_000);
      expect(isDatabaseUnavailable(viaPrisma.error)).toBe(true);
      const transaction = await failure(inTransaction(pool, async () => undefined));
      expect(transaction.ms).toBeLessThan(3_000);
      expect(isDatabaseUnavailable(transaction.error)).toBe(true);
    } finally {
      busy.release();
    }
    // a waiter that gets a connection within the bound is served
    const again = await pool.connect();
    setTimeout(() => again.release(), 100);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
