import { Partitioners, type Kafka, type Producer, type IHeaders } from 'kafkajs';
import { Headers, type Envelope } from '@orderline/contracts';

export interface OutgoingMessage {
  topic: string;
  key: string | null;
  envelope: Envelope;
  headers?: IHeaders;
}

/** The broker could not take a message: the caller answers 503 or retries later. */
export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
}

/**
 * Sends envelopes as JSON with acks from all in-sync replicas (acks=-1): once `publish`
 * resolves, the message is durable in the log.
 */
export class Publisher {
  private readonly producer: Producer;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      // murmur2 on the key, as the Java client and Redpanda's tools partition
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 100, retries: 3, maxRetryTime: 1_000 },
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }

  async publish(...messages: OutgoingMessage[]): Promise<void> {
    await this.sendRaw(
      messages.map(({ topic, key, envelope, headers }) => ({
        topic,
        key,
        value: JSON.stringify(envelope),
        headers: {
          [Headers.correlationId]: envelope.correlationId,
          [Headers.messageType]: envelope.type,
          ...headers,
        },
      })),
    );
  }

  /** Sends already-serialised messages (dead letters, replays) unchanged. */
  async sendRaw(
    messages: { topic: string; key: string | Buffer | null; value: string | Buffer | null; headers?: IHeaders }[],
  ): Promise<void> {
    const byTopic = new Map<string, typeof messages>();
    for (const message of messages) {
      const list = byTopic.get(message.topic) ?? [];
      list.push(message);
      byTopic.set(message.topic, list);
    }
    try {
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map(({ key, value, headers }) => ({ key, value, headers })),
        })),
      });
    } catch (error) {
      throw new BrokerUnavailableError(`could not publish to Kafka: ${(error as Error).message}`, { cause: error });
    }
  }
}
