import { DatabaseEnv } from '@orderline/config';
import { DEFAULT_DATABASE_OPTIONS } from './prisma';

describe('database settings', () => {
  it("DatabaseEnv's defaults are libs/db's (one set of production defaults, documented in docs/configuration.md)", () => {
    const env = DatabaseEnv.parse({});
    expect({
      poolSize: env.DATABASE_POOL_SIZE,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: env.DATABASE_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: env.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      poolWaitTimeoutMs: env.DATABASE_POOL_WAIT_TIMEOUT_MS,
    }).toEqual(DEFAULT_DATABASE_OPTIONS);
  });
});
