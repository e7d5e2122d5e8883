import { z } from 'zod';
import { CommonEnv, ConfigError, DatabaseEnv, OutboxEnv, loadConfig } from './load-config';

const Env = CommonEnv.extend(DatabaseEnv.shape).extend({ PORT: z.coerce.number().int().min(1).max(65_535).default(3000) });

describe('loadConfig', () => {
  it('applies defaults for a bare environment', () => {
    const config = loadConfig(Env, {});
    expect(config).toMatchObject({ KAFKA_BROKERS: ['127.0.0.1:9092'], PORT: 3000, LOG_LEVEL: 'info', NODE_ENV: 'development' });
  });

  it('splits KAFKA_BROKERS and coerces numbers', () => {
    const config = loadConfig(Env, { KAFKA_BROKERS: 'a:1, b:2', PORT: '8080' });
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.PORT).toBe(8080);
  });

  it('names every bad variable in one error', () => {
    expect(() => loadConfig(Env, { PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
    try {
      loadConfig(Env, { PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x', KAFKA_BROKERS: 'nohostport' });
    } catch (error) {
      const message = (error as Error).message;
      for (const name of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'KAFKA_BROKERS']) expect(message).toContain(name);
    }
  });

  it('keeps published outbox rows 1 h by default, between a minute and 30 days', () => {
    expect(loadConfig(OutboxEnv, {}).OUTBOX_RETENTION_MS).toBe(3_600_000);
    expect(loadConfig(OutboxEnv, { OUTBOX_RETENTION_MS: '60000' }).OUTBOX_RETENTION_MS).toBe(60_000);
    expect(() => loadConfig(OutboxEnv, { OUTBOX_RETENTION_MS: '59999' })).toThrow(/OUTBOX_RETENTION_MS/);
    expect(() => loadConfig(OutboxEnv, { OUTBOX_RETENTION_MS: String(30 * 24 * 3_600_000 + 1) })).toThrow(/OUTBOX_RETENTION_MS/);
  });
});
