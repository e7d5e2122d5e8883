import { Writable } from 'node:stream';
import winston from 'winston';
import { addToLogContext, withLogContext } from './correlation';
import { createLogger } from './logger';

function capture(level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test-service', level);
  logger.clear().add(
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(chunk.toString()));
          done();
        },
      }),
    }),
  );
  return { logger, lines };
}

describe('logger', () => {
  it('writes JSON lines with service, level and the correlation id of the current unit of work', async () => {
    const { logger, lines } = capture();
    await withLogContext({ correlationId: 'corr-1' }, async () => {
      await Promise.resolve();
      addToLogContext({ orderId: 'order-9' });
      logger.info('inside', { extra: 1 });
    });
    logger.warn('outside');
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: 'inside',
      service: 'test-service',
      correlationId: 'corr-1',
      orderId: 'order-9',
      extra: 1,
    });
    expect(lines[0]['timestamp']).toEqual(expect.any(String));
    expect(lines[1]).toMatchObject({ level: 'warn', message: 'outside' });
    expect(lines[1]['correlationId']).toBeUndefined();
  });
});

describe('logger level', () => {
  it('drops lines below its level before formatting them', () => {
    const { logger, lines } = capture('info');
    // an Error passes redaction unchanged, so its toJSON runs only if the line reaches JSON formatting
    let formatted = 0;
    const probe = Object.assign(new Error('probe'), { toJSON: () => `formatted ${++formatted}` });
    logger.http('request', { probe });
    logger.debug('detail', { probe });
    expect(formatted).toBe(0);
    logger.info('kept', { probe });
    expect(formatted).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ message: 'kept', probe: 'formatted 1' })]);
  });
});

describe('logger redaction', () => {
  it('never writes tokens, secrets, passwords in URLs or full addresses', () => {
    const { logger, lines } = capture();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDVVNUMDEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const body = {
      customerId: 'CUST01',
      shippingAddress: { line1: '1 Secret Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
    };
    logger.info(`request with Bearer ${jwt}`, {
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body,
      url: 'postgresql://orderline:hunter2@db:5432/orderline',
      note: `token was ${jwt}`,
      JWT_SECRET: 'a-real-secret-of-32-characters!!',
    });
    const line = JSON.stringify(lines[0]);
    for (const leaked of [jwt, 'Secret Street', '10115', 'Berlin', 'hunter2', 'a-real-secret']) {
      expect(line).not.toContain(leaked);
    }
    expect(lines[0]).toMatchObject({
      body: { customerId: 'CUST01', shippingAddress: { country: 'DE' } },
      headers: { authorization: '[redacted]', 'content-type': 'application/json' },
      url: 'postgresql://orderline:[redacted]@db:5432/orderline',
    });
    // the caller's objects are left as they were
    expect(body.shippingAddress.line1).toBe('1 Secret Street');
  });
});
