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

export interface RawMessage {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: IHeaders;
}

interface Queued {
  messages: RawMessage[];
  bytes: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * The most one produce request carries: the broker refuses a record batch over 1 MiB (Kafka's and
 * Redpanda's default), and a request holds at most one batch per partition, so a whole request
 * under this budget always fits.
 */
export const MAX_REQUEST_BYTES = 768 * 1024;
/** record framing, offsets, timestamps: a generous estimate per message */
const RECORD_OVERHEAD_BYTES = 64;

function sizeOf({ key, value, headers }: RawMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + (key ? Buffer.byteLength(key) : 0) + (value ? Buffer.byteLength(value) : 0);
  for (const [name, header] of Object.entries(headers ?? {})) {
    bytes += Buffer.byteLength(name) + (typeof header === 'string' || Buffer.isBuffer(header) ? Buffer.byteLength(header) : 0);
  }
  return bytes;
}

/**
 * Sends envelopes as JSON with acks from all in-sync replicas (acks=-1): once `publish`
 * resolves, the message is durable in the log.
 *
 * Micro-batching (kafkajs has no linger): at most `maxInFlight` produce requests are in flight,
 * and every message published meanwhile waits and goes out together in the next one. Idle, a
 * message leaves at once; under load, requests grow instead of multiplying, up to
 * `maxBatchMessages` and MAX_REQUEST_BYTES. One in flight is the default: measured here it sends a
 * third of the produce requests that three in flight did, which cut the broker's CPU per order by
 * half and the gateway's by a fifth, and lowered p99 latency (fewer requests competing for the
 * same cores). Messages whose order matters (one order's command, then a later one) are never in
 * flight together: the later one is sent only after the earlier one was acknowledged (the client
 * got its 202, the relay its ack).
 */
export class Publisher {
  private readonly producer: Producer;
  private queue: Queued[] = [];
  private inFlight = 0;

  constructor(
    kafka: Kafka,
    private readonly maxBatchMessages = 1_000,
    private readonly maxInFlight = 1,
  ) {
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

  /**
   * Sends already-serialised messages (dead letters, replays, outbox rows) unchanged. Many or large
   * messages go out in several produce requests, one after the other, so they keep their order.
   */
  async sendRaw(messages: RawMessage[]): Promise<void> {
    let chunk: RawMessage[] = [];
    let bytes = 0;
    for (const message of messages) {
      const size = sizeOf(message);
      if (chunk.length > 0 && (chunk.length >= this.maxBatchMessages || bytes + size > MAX_REQUEST_BYTES)) {
        await this.enqueue(chunk, bytes);
        chunk = [];
        bytes = 0;
      }
      chunk.push(message);
      bytes += size;
    }
    if (chunk.length > 0) await this.enqueue(chunk, bytes);
  }

  private enqueue(messages: RawMessage[], bytes: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, bytes, resolve, reject });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      // whole queued calls, up to maxBatchMessages and MAX_REQUEST_BYTES (a first one always goes)
      const batch: Queued[] = [];
      let count = 0;
      let bytes = 0;
      while (
        this.queue.length > 0 &&
        (count === 0 ||
          (count + this.queue[0].messages.length <= this.maxBatchMessages && bytes + this.queue[0].bytes <= MAX_REQUEST_BYTES))
      ) {
        const next = this.queue.shift() as Queued;
        batch.push(next);
        count += next.messages.length;
        bytes += next.bytes;
      }
      this.inFlight++;
      this.send(batch.flatMap((queued) => queued.messages))
        .then(
          () => batch.forEach((queued) => queued.resolve()),
          (error: unknown) => {
            const failure = new BrokerUnavailableError(`could not publish to Kafka: ${(error as Error).message}`, {
              cause: error,
            });
            batch.forEach((queued) => queued.reject(failure));
          },
        )
        .finally(() => {
          this.inFlight--;
          void this.flush();
        });
    }
  }

  private async send(messages: RawMessage[]): Promise<void> {
    const byTopic = new Map<string, RawMessage[]>();
    for (const message of messages) {
      const list = byTopic.get(message.topic) ?? [];
      list.push(message);
      byTopic.set(message.topic, list);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map(({ key, value, headers }) => ({ key, value, headers })),
      })),
    });
  }
}
