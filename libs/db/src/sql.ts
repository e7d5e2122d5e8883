import pg from 'pg';
import { inSpan, isTracing, SpanAttributes } from '@orderline/tracing';

/**
 * Plain SQL on the pool under a Prisma client, for the statements that run once per batch of
 * hundreds of orders. Prisma 6's client engine compiles every query, raw ones included, in wasm
 * on the event loop, and its cost grows with the parameters: with arrays of a few hundred values
 * it was ~13 % of order-management's CPU under load. Prisma still owns the schema, the
 * migrations and every other query.
 */
const pools = new WeakMap<object, pg.Pool>();

export function rememberPool(prisma: object, pool: pg.Pool): void {
  pools.set(prisma, pool);
}

/** The pg pool a client from `createPrismaClient` sends its queries through. */
export function poolOf(prisma: object): pg.Pool {
  const pool = pools.get(prisma);
  if (!pool) throw new Error('not a client made by createPrismaClient: it has no pg pool to share');
  return pool;
}

/** A connection checked out of the pool, as `inTransaction` hands it to its work. */
export type SqlClient = pg.PoolClient;

/**
 * Runs `work` in one transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws. While the connection is checked out its `error` event is ours: a connection the database
 * drops between two statements (a restart, idle_in_transaction_session_timeout) would otherwise emit
 * it with no listener and kill the process. Such a connection fails the next statement and is
 * destroyed, never reused; the error thrown is the database's reason (with its SQLSTATE, e.g. 25P03
 * or 57P01) rather than the "not queryable" of the statement that found the connection gone.
 */
export function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return traceTransaction(() => transact(pool, work));
}

/**
 * Runs a database transaction (`inTransaction`'s, or a Prisma `$transaction`) in a span of its own
 * when tracing is on (from waiting for a connection to COMMIT or ROLLBACK); off, it just runs it.
 */
export function traceTransaction<T>(transaction: () => Promise<T>): Promise<T> {
  if (!isTracing()) return transaction();
  return inSpan(
    'postgresql transaction',
    { kind: 'client', attributes: { [SpanAttributes.dbSystem]: 'postgresql', [SpanAttributes.dbOperation]: 'TRANSACTION' } },
    transaction,
  );
}

async function transact<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let ended: Error | undefined;
  let broken: Error | undefined;
  const onError = (error: Error) => {
    ended ??= error;
    broken = error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken ??= rollbackError; // the connection is gone or unusable: do not hand it out again
    });
    throw ended instanceof pg.DatabaseError ? ended : error;
  } finally {
    client.off('error', onError);
    client.release(broken ?? false);
  }
}
