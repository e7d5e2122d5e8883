import { Writable } from 'node:stream';
import winston from 'winston';
import { addToLogContext, withLogContext } from './correlation';
import { createLogger } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test-service', 'debug');
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
    expect(lines[0]).toMatchObject({ level: 'info', message: 'inside', service: 'test-service', correlationId: 'corr-1', orderId: 'order-9', extra: 1 });
    expect(lines[0]['timestamp']).toEqual(expect.any(String));
    expect(lines[1]).toMatchObject({ level: 'warn', message: 'outside' });
    expect(lines[1]['correlationId']).toBeUndefined();
  });
});
