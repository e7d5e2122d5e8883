import { ConfigError } from '@orderline/config';
import { loadGatewayConfig } from './config';

describe('gateway config', () => {
  it('runs with the dev JWT secret outside production', () => {
    expect(loadGatewayConfig({}).JWT_SECRET).toBe('dev-secret-change-me');
  });

  it('refuses to start in production with the dev secret (or none)', () => {
    expect(() => loadGatewayConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: 'dev-secret-change-me' })).toThrow(/JWT_SECRET/);
    expect(loadGatewayConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-of-32-characters!!' }).NODE_ENV).toBe('production');
  });

  it('refuses a short secret', () => {
    expect(() => loadGatewayConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(() => loadGatewayConfig({ JWT_PREVIOUS_SECRET: 'short' })).toThrow(/JWT_PREVIOUS_SECRET/);
  });

  it('has no previous secret unless one is set (outside a rotation)', () => {
    expect(loadGatewayConfig({}).JWT_PREVIOUS_SECRET).toBeUndefined();
    expect(loadGatewayConfig({ JWT_PREVIOUS_SECRET: 'the-old-secret-0123456789' }).JWT_PREVIOUS_SECRET).toBe('the-old-secret-0123456789');
  });
});
