import { createPrismaClient, isDatabaseReachable, isDatabaseUnavailable, isPermanentDataError, type PrismaClient } from './prisma';

/** A service's DATABASE_* settings (DatabaseEnv in libs/config). */
export interface DatabaseSettings {
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
  DATABASE_STATEMENT_TIMEOUT_MS: number;
  DATABASE_LOCK_TIMEOUT_MS: number;
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: number;
  DATABASE_POOL_WAIT_TIMEOUT_MS: number;
}

/**
 * The database a service owns, as its bootstrap (libs/runtime startService) needs it: the client,
 * a readiness check, how to close it, and which of its errors mean "down" (wait) or "refused"
 * (dead-letter at once).
 */
export interface Database {
  prisma: PrismaClient;
  isReachable(): Promise<boolean>;
  close(): Promise<void>;
  isUnavailable(error: unknown): boolean;
  refuses(error: unknown): boolean;
}

export function openDatabase(settings: DatabaseSettings): Database {
  const prisma = createPrismaClient(settings.DATABASE_URL, {
    poolSize: settings.DATABASE_POOL_SIZE,
    statementTimeoutMs: settings.DATABASE_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: settings.DATABASE_LOCK_TIMEOUT_MS,
    idleInTransactionTimeoutMs: settings.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    poolWaitTimeoutMs: settings.DATABASE_POOL_WAIT_TIMEOUT_MS,
  });
  return {
    prisma,
    isReachable: () => isDatabaseReachable(prisma),
    close: () => prisma.$disconnect(),
    isUnavailable: isDatabaseUnavailable,
    refuses: isPermanentDataError,
  };
}
