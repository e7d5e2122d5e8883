import { createLogger } from '@orderline/logging';
import { startHealthServer } from './health-server';

describe('health server', () => {
  it('is live always, ready only while every check passes', async () => {
    let databaseUp = true;
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      logger: createLogger('test', 'error'),
      checks: { kafka: async () => true, database: async () => databaseUp },
    });
    const { port } = server.address() as { port: number };
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    try {
      expect((await get('/health/live')).status).toBe(200);
      expect((await get('/health/ready')).status).toBe(200);
      databaseUp = false;
      const down = await get('/health/ready');
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({
        status: 'unavailable',
        checks: { kafka: 'up', database: 'down' },
      });
    } finally {
      server.close();
    }
  });
});
