import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, PrismaClient } from './generated/prisma/client';
import { rememberPool } from './sql';

export { Prisma, PrismaClient };

/**
 * How long a connection may wait or work. Postgres enforces the first three per connection (sent
 * as startup parameters), so they hold for Prisma's queries and for plain SQL on the pool alike;
 * none of them may be switched off.
 */
export interface DatabaseOptions {
  /** connections in the pool */
  poolSize?: number;
  /** `statement_timeout`: a statement running longer is cancelled (SQLSTATE 57014) */
  statementTimeoutMs?: number;
  /** `lock_timeout`: a statement waiting longer for a lock fails (SQLSTATE 55P03) */
  lockTimeoutMs?: number;
  /** `idle_in_transaction_session_timeout`: a session idle this long inside a transaction is terminated (SQLSTATE 25P03), freeing its locks */
  idleInTransactionTimeoutMs?: number;
  /** how long a caller waits for a pooled connection (a free one, or a new one to connect) before it fails as "unavailable" */
  poolWaitTimeoutMs?: number;
}

/**
 * Production defaults, the same as DatabaseEnv's (libs/config). Every statement of the apps takes
 * milliseconds; 15 s means something is wrong (a runaway plan, a stuck lock holder), and the
 * caller's bounded retry is better than a consumer stalled for good. Locks are held for
 * milliseconds, so 5 s of waiting is a holder that is stuck. A transaction idle for 30 s is a
 * process that hangs (or waits on something it should not wait on inside a transaction): ending it
 * releases the rows it locked for everyone else. 5 s for a pool connection: the pool is sized for
 * the load, so longer means the database is not answering.
 */
export const DEFAULT_DATABASE_OPTIONS: Required<DatabaseOptions> = {
  poolSize: 10,
  statementTimeoutMs: 15_000,
  lockTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 30_000,
  poolWaitTimeoutMs: 5_000,
};

/**
 * A Prisma client on the Rust-free engine: queries are compiled in wasm and sent through
 * node-postgres (`@prisma/adapter-pg`), so no native engine is ever downloaded. Its pg pool is
 * ours, so the few per-batch hot-path statements can run on it without the compile step
 * (`poolOf`, sql.ts).
 */
export function createPrismaClient(connectionString: string, options: DatabaseOptions = {}): PrismaClient {
  const { poolSize, statementTimeoutMs, lockTimeoutMs, idleInTransactionTimeoutMs, poolWaitTimeoutMs } = {
    ...DEFAULT_DATABASE_OPTIONS,
    ...options,
  };
  for (const [name, value] of Object.entries({
    poolSize,
    statementTimeoutMs,
    lockTimeoutMs,
    idleInTransactionTimeoutMs,
    poolWaitTimeoutMs,
  })) {
    // node-postgres treats 0 as "not set", i.e. no limit
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    statement_timeout: statementTimeoutMs,
    lock_timeout: lockTimeoutMs,
    idle_in_transaction_session_timeout: idleInTransactionTimeoutMs,
    // bounds both the wait for a free connection when all are checked out and a new connection's connect
    connectionTimeoutMillis: poolWaitTimeoutMs,
    // `$disconnect` ends the pool only if Prisma itself connected; a client used only through
    // `poolOf` (a test, customer-service before its first health check) must not keep the process
    // alive with idle connections
    allowExitOnIdle: true,
  });
  // An idle connection that breaks (the database restarts) is dropped by the pool; the next
  // query fails or reconnects and is handled there. Without a listener the error would kill the process.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPgReleasingEndedTransactions(pool, { disposeExternalPool: true }) });
  rememberPool(prisma, pool);
  return prisma;
}

/**
 * PrismaPg, except that an interactive transaction whose COMMIT or ROLLBACK fails still hands its
 * connection back to the pool. Prisma 6.19 releases it only after that statement succeeded, so a
 * transaction whose connection the database ended (idle_in_transaction_session_timeout, a restart)
 * kept a pool connection checked out for good; after `poolSize` of them every query waited for one.
 * Released without an error, the pool drops a connection that is no longer queryable and keeps one
 * whose COMMIT merely failed (Postgres ends the transaction either way).
 */
class PrismaPgReleasingEndedTransactions extends PrismaPg {
  override async connect(): ReturnType<PrismaPg['connect']> {
    const adapter = await super.connect();
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => {
      const transaction = await startTransaction(isolationLevel);
      const executeRaw = transaction.executeRaw.bind(transaction);
      transaction.executeRaw = async (query) => {
        try {
          return await executeRaw(query);
        } catch (error) {
          if (/^\s*(COMMIT|ROLLBACK)\s*;?\s*$/i.test(query.sql)) await transaction.rollback(); // releases the connection
          throw error;
        }
      };
      return transaction;
    };
    return adapter;
  }
}

export async function isDatabaseReachable(prisma: PrismaClient, timeoutMs = 2_000): Promise<boolean> {
  const check = prisma.$queryRaw`SELECT 1`.then(() => true);
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([check, timeout]).catch(() => false);
}

/** The Postgres SQLSTATE behind an error: node-postgres' own, or a Prisma error however the driver adapter wrapped it. */
export function pgErrorCode(error: unknown): string | undefined {
  if (error instanceof pg.DatabaseError) return error.code;
  const e = error as {
    name?: string;
    cause?: { originalCode?: string };
    meta?: { driverAdapterError?: { cause?: { originalCode?: string } } };
  };
  return e?.meta?.driverAdapterError?.cause?.originalCode ?? (e?.name === 'DriverAdapterError' ? e.cause?.originalCode : undefined);
}

export function isUniqueViolation(error: unknown): boolean {
  return pgErrorCode(error) === '23505' || (error as { code?: string })?.code === 'P2002';
}

/**
 * The database is there and the data is fine, but this attempt failed: a statement cancelled by
 * statement_timeout (57014), a lock not granted within lock_timeout (55P03), a session ended by
 * idle_in_transaction_session_timeout (25P03). Neither permanent nor "unavailable": the caller
 * retries a bounded number of times (a statement that always takes too long must not stall a
 * consumer for good, as an outage would).
 */
const ORDINARY_FAILURE_CODES: ReadonlySet<string> = new Set(['57014', '55P03', '25P03']);

/**
 * A failure that retrying cannot cure: the data itself is wrong for the database (SQLSTATE class
 * 22, data exception, e.g. a value too long; or 23, a constraint, other than a unique violation).
 */
export function isPermanentDataError(error: unknown): boolean {
  const code = pgErrorCode(error) ?? (error as { meta?: { code?: string } })?.meta?.code;
  if (code && (code.startsWith('22') || (code.startsWith('23') && code !== '23505'))) return true;
  // Prisma's own validation of values against column types (e.g. "value too long", P2000)
  if (['P2000', 'P2006', 'P2007', 'P2011', 'P2012', 'P2019', 'P2020'].includes((error as { code?: string })?.code ?? '')) return true;
  // text the database cannot encode (lone surrogates, NUL), reported without a SQLSTATE
  return /JSON Error|lone (leading|trailing) surrogate|invalid byte sequence|unsupported Unicode escape/i.test(
    (error as Error)?.message ?? '',
  );
}

/**
 * The database is unreachable or going away (not the query's fault): connection refused or
 * reset, the server shutting down (SQLSTATE 57P01-57P03, class 08), no pool connection within
 * the pool wait (`poolWaitTimeoutMs`: every connection is busy or none can be opened), a connect
 * timeout. Not the timeouts of ORDINARY_FAILURE_CODES, though their messages may read alike.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = pgErrorCode(error) ?? (error as { code?: string })?.code ?? '';
  if (ORDINARY_FAILURE_CODES.has(code)) return false;
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', 'P1001', 'P1002', 'P1017', 'P2024'].includes(code)) return true;
  const text = `${(error as Error)?.name ?? ''} ${(error as Error)?.message ?? ''} ${String((error as { cause?: unknown })?.cause ?? '')}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|connection.*(closed|ended)|terminating connection|the database system is (starting up|shutting down)|Can't reach database|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    text,
  );
}
