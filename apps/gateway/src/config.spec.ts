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

  it('has the per-customer limits of a shop by default, and refuses a quantity cap beyond the contract', () => {
    expect(loadGatewayConfig({})).toMatchObject({
      ORDER_RATE_LIMIT_PER_SECOND: 100,
      ORDER_RATE_LIMIT_BURST: 200,
      ORDER_MAX_QUANTITY_PER_PRODUCT: 100,
      GATEWAY_PEERS_GROUP: 'gateway-peers',
    });
    expect(loadGatewayConfig({ ORDER_RATE_LIMIT_PER_SECOND: '2.5', ORDER_RATE_LIMIT_BURST: '5' })).toMatchObject({
      ORDER_RATE_LIMIT_PER_SECOND: 2.5,
      ORDER_RATE_LIMIT_BURST: 5,
    });
    expect(() => loadGatewayConfig({ ORDER_MAX_QUANTITY_PER_PRODUCT: '1001' })).toThrow(/ORDER_MAX_QUANTITY_PER_PRODUCT/);
    expect(() => loadGatewayConfig({ ORDER_RATE_LIMIT_PER_SECOND: '0' })).toThrow(/ORDER_RATE_LIMIT_PER_SECOND/);
  });
});
