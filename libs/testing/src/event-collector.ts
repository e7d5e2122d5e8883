import { randomUUID } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { Envelope } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import { createKafka } from '@orderline/messaging';

/**
 * Reads a topic from "now" on (its own consumer group) and keeps every envelope by message key,
 * so a test can assert exactly which events an order produced.
 */
export class EventCollector {
  private readonly byKey = new Map<string, Envelope[]>();
  private consumer?: Consumer;

  constructor(
    private readonly topic: string,
    private readonly brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
  ) {}

  async start(): Promise<void> {
    const kafka = createKafka({ clientId: 'event-collector', brokers: this.brokers, logger: createLogger('test', 'error') });
    const consumer = kafka.consumer({ groupId: `test-collector-${randomUUID()}`, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: false });
    const firstFetch = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.FETCH, () => {
        remove();
        resolve();
      });
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        const envelope = Envelope.parse(JSON.parse(message.value?.toString() ?? '{}'));
        this.byKey.set(key, [...(this.byKey.get(key) ?? []), envelope]);
      },
    });
    await firstFetch;
  }

  /** Envelopes seen so far with this key, in log order. */
  received(key: string): Envelope[] {
    return this.byKey.get(key) ?? [];
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
