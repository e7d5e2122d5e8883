import { randomUUID } from 'node:crypto';
import { createLogger } from '@orderline/logging';
import { createKafka } from './kafka';
import { fixRequestQueueTimer, type RequestQueueInternals } from './kafkajs-timer-fix';

type Queue = RequestQueueInternals & { inflight: Map<number, unknown>; maxInFlightRequests: number | null };
const RequestQueue = fixRequestQueueTimer() as unknown as new (options: object) => Queue;
const ignore = () => undefined;
const silent = { debug: ignore, info: ignore, warn: ignore, error: ignore };
const newQueue = () =>
  new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 1_000,
    enforceRequestTimeout: false,
    clientId: 'c',
    broker: 'b',
    logger: silent,
  });

afterEach(() => jest.useRealTimers());

describe('kafkajs request queue timer (fixRequestQueueTimer)', () => {
  it('schedules nothing when no request waits and the broker does not throttle (2.2.4 re-armed a 1 ms timer forever)', () => {
    const queue = newQueue();
    queue.checkPendingRequests(); // what every response does
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('still sends a waiting request once the broker throttle ends', () => {
    jest.useFakeTimers();
    const queue = newQueue();
    const sent: string[] = [];
    queue.throttledUntil = Date.now() + 50;
    queue.pending.push({ send: () => sent.push('waiting'), expectResponse: true, correlationId: 1 });
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    jest.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual(['waiting']);
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('keeps checking every 10 ms while requests wait for a free in-flight slot', () => {
    jest.useFakeTimers();
    const queue = newQueue();
    const sent: string[] = [];
    queue.inflight.set(1, {});
    queue.pending.push({ send: () => sent.push('second'), expectResponse: true, correlationId: 2 });
    queue.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(30);
    expect(sent).toEqual([]);
    queue.inflight.clear();
    jest.advanceTimersByTime(10);
    expect(sent).toEqual(['second']);
  });

  it('an idle connected client arms no timers (real broker)', async () => {
    const kafka = createKafka({
      clientId: `timer-fix-${randomUUID().slice(0, 8)}`,
      brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
      logger: createLogger('messaging-test', 'error'),
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.listTopics();
      const spy = jest.spyOn(global, 'setTimeout');
      await new Promise((resolve) => setImmediate(resolve));
      const before = spy.mock.calls.length;
      await new Promise<void>((resolve) => {
        const started = Date.now();
        const wait = () => (Date.now() - started >= 200 ? resolve() : setImmediate(wait));
        wait();
      });
      // unfixed: one 1 ms timer after another on the connection (~200 here)
      expect(spy.mock.calls.length - before).toBeLessThan(5);
      spy.mockRestore();
    } finally {
      await admin.disconnect();
    }
  });
});
