import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { Prisma, PrismaClient } from './generated/prisma/client';
import { rememberPool } from './sql';

export { Prisma, PrismaClient };

/**
 * A Prisma client on the Rust-free engine: queries are compiled in wasm and sent through
 * node-postgres (`@prisma/adapter-pg`), so no native engine is ever downloaded. Its pg pool is
 * ours, so the few per-batch hot-path statements can run on it without the compile step
 * (`poolOf`, sql.ts).
 */
export function createPrismaClient(connectionString: string, poolSize = 10): PrismaClient {
  // allowExitOnIdle: `$disconnect` ends the pool only if Prisma itself connected; a client used
  // only through `poolOf` (a test, customer-service before its first health check) must not keep
  // the process alive with idle connections
  const pool = new pg.Pool({ connectionString, max: poolSize, allowExitOnIdle: true });
  // An idle connection that breaks (the database restarts) is dropped by the pool; the next
  // query fails or reconnects and is handled there. Without a listener the error would kill the process.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  rememberPool(prisma, pool);
  return prisma;
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
  return (
    e?.meta?.driverAdapterError?.cause?.originalCode ?? (e?.name === 'DriverAdapterError' ? e.cause?.originalCode : undefined)
  );
}

export function isUniqueViolation(error: unknown): boolean {
  return pgErrorCode(error) === '23505' || (error as { code?: string })?.code === 'P2002';
}

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
 * reset, the server shutting down (SQLSTATE 57P01-57P03, class 08), a pool or connect timeout.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = pgErrorCode(error) ?? (error as { code?: string })?.code ?? '';
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', 'P1001', 'P1002', 'P1017', 'P2024'].includes(code)) return true;
  const text = `${(error as Error)?.name ?? ''} ${(error as Error)?.message ?? ''} ${String((error as { cause?: unknown })?.cause ?? '')}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|connection.*(closed|ended)|terminating connection|the database system is (starting up|shutting down)|Can't reach database|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    text,
  );
}
