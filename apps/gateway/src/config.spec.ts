import { ConfigError, DEV_JWT_SECRET } from '@orderline/config';
import { COMPOSE_EXAMPLE_JWT_SECRET, loadGatewayConfig } from './config';

const strong = 'a-real-secret-of-32-characters!!';
const strongToo = 'another-real-secret-of-32-bytes!';

/** The lines the loader prints for a refused environment (one per problem), or [] when it loads. */
function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadGatewayConfig(env);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message
      .split('\n')
      .slice(1)
      .map((line) => line.trim());
  }
}
const production = (env: NodeJS.ProcessEnv) => problems({ NODE_ENV: 'production', ...env });

describe('gateway config', () => {
  it('runs with the dev JWT secret outside production', () => {
    expect(loadGatewayConfig({}).JWT_SECRET).toBe(DEV_JWT_SECRET);
    expect(loadGatewayConfig({ NODE_ENV: 'test', JWT_SECRET: 'sixteen-chars-ok' }).JWT_SECRET).toBe('sixteen-chars-ok');
  });

  it('refuses a short secret everywhere', () => {
    expect(() => loadGatewayConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(() => loadGatewayConfig({ JWT_PREVIOUS_SECRET: 'short' })).toThrow(/JWT_PREVIOUS_SECRET/);
  });

  it('has no previous secret unless one is set (outside a rotation)', () => {
    expect(loadGatewayConfig({}).JWT_PREVIOUS_SECRET).toBeUndefined();
    expect(loadGatewayConfig({ JWT_PREVIOUS_SECRET: 'the-old-secret-0123456789' }).JWT_PREVIOUS_SECRET).toBe('the-old-secret-0123456789');
  });

  describe('with NODE_ENV=production', () => {
    it('starts with a secret of at least 32 bytes, and a different previous one during a rotation', () => {
      expect(production({ JWT_SECRET: strong })).toEqual([]);
      expect(production({ JWT_SECRET: strong, JWT_PREVIOUS_SECRET: strongToo })).toEqual([]);
      // bytes, not characters: 16 × "é" is 32 bytes in UTF-8
      expect(production({ JWT_SECRET: 'é'.repeat(16) })).toEqual([]);
    });

    it.each([
      [
        'none (the dev default)',
        undefined,
        /^JWT_SECRET: is the dev default, which anyone can read: set a random secret of at least 32 bytes/,
      ],
      ['the dev default', DEV_JWT_SECRET, /^JWT_SECRET: is the dev default/],
      ["docker-compose.yml's old example", COMPOSE_EXAMPLE_JWT_SECRET, /^JWT_SECRET: is docker-compose.yml's old example value/],
      ['31 bytes', strong.slice(1), /^JWT_SECRET: is 31 bytes, too short for NODE_ENV=production/],
      ['31 bytes in 16 characters', `${'é'.repeat(15)}a`, /^JWT_SECRET: is 31 bytes/],
    ])('refuses %s as JWT_SECRET, in one line', (_case, secret, line) => {
      expect(production({ JWT_SECRET: secret })).toEqual([expect.stringMatching(line)]);
    });

    it.each([
      ['JWT_SECRET itself', strong, /^JWT_PREVIOUS_SECRET: equals JWT_SECRET/],
      ['the dev default', DEV_JWT_SECRET, /^JWT_PREVIOUS_SECRET: is the dev default/],
      ["docker-compose.yml's old example", COMPOSE_EXAMPLE_JWT_SECRET, /^JWT_PREVIOUS_SECRET: is docker-compose.yml's old example value/],
      ['a secret under 32 bytes', 'the-old-secret-0123456789', /^JWT_PREVIOUS_SECRET: is 25 bytes/],
    ])('refuses %s as JWT_PREVIOUS_SECRET, in one line', (_case, previous, line) => {
      expect(production({ JWT_SECRET: strong, JWT_PREVIOUS_SECRET: previous })).toEqual([expect.stringMatching(line)]);
    });

    it('names every problem, one line each, also next to problems with other variables', () => {
      expect(production({ JWT_PREVIOUS_SECRET: COMPOSE_EXAMPLE_JWT_SECRET, PORT: 'eighty' })).toEqual([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^JWT_SECRET: is the dev default/),
        expect.stringMatching(/^JWT_PREVIOUS_SECRET: is docker-compose.yml's old example/),
      ]);
    });
  });

  describe('HTTP server timeouts', () => {
    it('default to bounds a production server needs', () => {
      expect(loadGatewayConfig({})).toMatchObject({
        HTTP_HEADERS_TIMEOUT_MS: 10_000,
        HTTP_REQUEST_TIMEOUT_MS: 30_000,
        HTTP_KEEP_ALIVE_TIMEOUT_MS: 5_000,
        HTTP_IDLE_TIMEOUT_MS: 60_000,
        // node's 511 overflowed under a flood of connections (docs/scaling.md); the kernel caps it at somaxconn
        HTTP_LISTEN_BACKLOG: 4_096,
        // node accepts one connection per loop iteration and socket (server.spec.ts counts it)
        HTTP_LISTENERS: 8,
      });
      expect(problems({ HTTP_LISTEN_BACKLOG: '0' })).toEqual([expect.stringMatching(/^HTTP_LISTEN_BACKLOG: /)]);
      expect(problems({ HTTP_LISTEN_BACKLOG: '65536' })).toEqual([expect.stringMatching(/^HTTP_LISTEN_BACKLOG: /)]);
      expect(problems({ HTTP_LISTENERS: '0' })).toEqual([expect.stringMatching(/^HTTP_LISTENERS: /)]);
      expect(problems({ HTTP_LISTENERS: '65' })).toEqual([expect.stringMatching(/^HTTP_LISTENERS: /)]);
      expect(loadGatewayConfig({ HTTP_LISTENERS: '64' }).HTTP_LISTENERS).toBe(64);
    });

    it('refuses a request timeout shorter than the headers timeout, and an idle timeout within the reply wait', () => {
      expect(problems({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' })).toEqual([
        'HTTP_REQUEST_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS (20000)',
      ]);
      expect(problems({ REQUEST_TIMEOUT_MS: '60000' })).toEqual([
        expect.stringMatching(/^HTTP_IDLE_TIMEOUT_MS: must be above REQUEST_TIMEOUT_MS \(60000\)/),
      ]);
      expect(problems({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' })).toEqual([expect.stringMatching(/^HTTP_KEEP_ALIVE_TIMEOUT_MS: /)]);
    });
  });

  describe('SSE streams and long-polls', () => {
    it('default to a heartbeat every 15 s, 1 MiB queued per stream, 10,000 streams per instance, 10 per customer, waits of 30 s', () => {
      expect(loadGatewayConfig({})).toMatchObject({
        SSE_HEARTBEAT_MS: 15_000,
        SSE_MAX_BUFFERED_BYTES: 1_048_576,
        SSE_MAX_STREAMS: 10_000,
        SSE_MAX_STREAMS_PER_CUSTOMER: 10,
        SSE_REPLAY_MAX_EVENTS: 100_000,
        LONG_POLL_MAX_WAIT_S: 30,
      });
    });

    it('refuses a heartbeat or a long-poll the idle timeout would cut off, and a wait over 30 s', () => {
      expect(problems({ SSE_HEARTBEAT_MS: '60000' })).toEqual([
        expect.stringMatching(/^HTTP_IDLE_TIMEOUT_MS: must be above SSE_HEARTBEAT_MS \(60000\)/),
      ]);
      expect(problems({ HTTP_IDLE_TIMEOUT_MS: '31000', LONG_POLL_MAX_WAIT_S: '30' })).toEqual([]);
      expect(problems({ HTTP_IDLE_TIMEOUT_MS: '30000' })).toEqual([
        expect.stringMatching(/^HTTP_IDLE_TIMEOUT_MS: must be above LONG_POLL_MAX_WAIT_S \(30 s\)/),
      ]);
      expect(problems({ LONG_POLL_MAX_WAIT_S: '31' })).toEqual([expect.stringMatching(/^LONG_POLL_MAX_WAIT_S: /)]);
    });
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
