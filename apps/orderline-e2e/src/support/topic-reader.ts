import { randomUUID } from 'node:crypto';
import type { Consumer, IHeaders, Kafka } from 'kafkajs';
import { waitFor } from '@orderline/testing';

export interface Received {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

const headerStrings = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]));

/** Reads topics in a consumer group of its own and keeps every message (no parsing: poison stays readable). */
export class TopicReader {
  readonly messages: Received[] = [];
  readonly groupId: string;
  private consumer?: Consumer;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: string[],
    private readonly fromBeginning: boolean,
    name: string,
  ) {
    this.groupId = `e2e-${name}-${randomUUID().slice(0, 13)}`;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: this.fromBeginning });
    // after the first completed fetch the start offsets are fixed: nothing produced later is missed
    const firstFetch = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.FETCH, () => {
        remove();
        resolve();
      });
    });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: message.value,
          headers: headerStrings(message.headers),
        });
      },
    });
    await firstFetch;
  }

  /** Waits until a message matching `predicate` has been read, and returns it. */
  waitFor(predicate: (m: Received) => boolean, what: string, timeoutMs = 30_000): Promise<Received> {
    return waitFor(() => this.messages.find(predicate), { timeoutMs, intervalMs: 50, what });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
