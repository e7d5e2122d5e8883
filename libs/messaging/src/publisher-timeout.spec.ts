import type { Kafka } from 'kafkajs';
import { Headers } from '@orderline/contracts';
import { BrokerUnavailableError, Publisher } from './publisher';

/**
 * A producer whose produce requests are never acknowledged, as when the partition's leader waits
 * for in-sync replicas that are gone (two of three brokers down): `publish` must not hang.
 */
function silentBroker() {
  const sent: string[][] = [];
  const timeouts: number[] = [];
  const kafka = {
    producer: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      sendBatch: ({ topicMessages, timeout }: { topicMessages: { messages: { key: string }[] }[]; timeout: number }) => {
        sent.push(topicMessages.flatMap((t) => t.messages.map((m) => String(m.key))));
        timeouts.push(timeout);
        return new Promise(() => undefined);
      },
    }),
  } as unknown as Kafka;
  return { kafka, sent, timeouts };
}

const message = (key: string) => ({ topic: 't', key, value: '{}', headers: { [Headers.messageType]: 'Test' } });

describe('Publisher timeout', () => {
  it('fails a publish the broker does not acknowledge within timeoutMs, and drops the calls queued behind it unsent', async () => {
    const { kafka, sent, timeouts } = silentBroker();
    const publisher = new Publisher(kafka, { timeoutMs: 300 });
    const started = Date.now();
    const inFlight = publisher.sendRaw([message('a')]);
    const queued = publisher.sendRaw([message('b')]);
    await expect(inFlight).rejects.toThrow(
      new BrokerUnavailableError('the broker did not acknowledge within 300 ms (sent, outcome unknown)'),
    );
    await expect(queued).rejects.toThrow(new BrokerUnavailableError('the broker did not acknowledge within 300 ms (not sent)'));
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(0.29);
    expect(seconds).toBeLessThan(2);
    // only the first request left; the broker was told to wait for the replicas no longer than that either
    expect(sent).toEqual([['a']]);
    expect(timeouts).toEqual([300]);
  });
});
