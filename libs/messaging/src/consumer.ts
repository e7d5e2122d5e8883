import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { Envelope, Headers, deadLetterTopic } from '@orderline/contracts';
import { withLogContext, type Logger } from '@orderline/logging';
import type { Publisher } from './publisher';
import { PoisonMessageError, type MessageRoute } from './routes';

export interface ConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  routes: MessageRoute[];
  /** publishes dead letters */
  publisher: Publisher;
  logger: Logger;
  /** tries per message before it is dead-lettered (transient failures: DB or broker hiccups) */
  maxAttempts?: number;
  /** first retry delay; doubles per attempt, capped at 5 s */
  retryDelayMs?: number;
  partitionsConsumedConcurrently?: number;
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Consumes `topics` in consumer group `groupId`, dispatching each message by its envelope type.
 * Messages of one partition are handled one after another, so one order's commands stay in order.
 * A message that is not a valid envelope, has an unknown type or a bad payload goes straight to
 * `<topic>.dlq`; one whose handler keeps failing goes there after `maxAttempts`. Either way the
 * offset moves on. The offset is committed only after the message was handled or dead-lettered
 * (at-least-once), so handlers must be idempotent.
 */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const {
    kafka,
    groupId,
    topics,
    publisher,
    logger,
    maxAttempts = 5,
    retryDelayMs = 200,
    partitionsConsumedConcurrently = 4,
  } = options;
  const routes = new Map(options.routes.map((route) => [route.type, route]));
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    rebalanceTimeout: 15_000,
    heartbeatInterval: 1_000,
  });

  const deadLetter = async (topic: string, partition: number, message: KafkaMessage, reason: string) => {
    logger.warn('message dead-lettered', { topic, partition, offset: message.offset, reason });
    await publisher.sendRaw([
      {
        topic: deadLetterTopic(topic),
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          [Headers.error]: reason.slice(0, 2_000),
          [Headers.sourceTopic]: topic,
          [Headers.sourcePartition]: String(partition),
          [Headers.sourceOffset]: message.offset,
        },
      },
    ]);
  };

  const handleMessage = async (topic: string, partition: number, message: KafkaMessage) => {
    let envelope: Envelope;
    try {
      envelope = Envelope.parse(JSON.parse(message.value?.toString('utf8') ?? ''));
    } catch (error) {
      return deadLetter(topic, partition, message, `not a valid envelope: ${(error as Error).message}`);
    }
    const route = routes.get(envelope.type);
    if (!route) return deadLetter(topic, partition, message, `unknown message type ${envelope.type}`);

    await withLogContext({ correlationId: envelope.correlationId }, async () => {
      for (let attempt = 1; ; attempt++) {
        const isLastAttempt = attempt >= maxAttempts;
        try {
          await route.handle(envelope, { topic, partition, offset: message.offset, attempt, isLastAttempt });
          return;
        } catch (error) {
          const reason = `${(error as Error).name}: ${(error as Error).message}`;
          if (error instanceof PoisonMessageError || isLastAttempt) {
            return deadLetter(topic, partition, message, reason);
          }
          logger.warn('message handling failed, will retry', { type: envelope.type, attempt, reason });
          await sleep(Math.min(retryDelayMs * 2 ** (attempt - 1), 5_000));
        }
      }
    });
  };

  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const joined = new Promise<void>((resolve) => {
    const removeListener = consumer.on(consumer.events.GROUP_JOIN, () => {
      removeListener();
      resolve();
    });
  });
  await consumer.run({
    partitionsConsumedConcurrently,
    eachMessage: ({ topic, partition, message }) => handleMessage(topic, partition, message),
  });
  // Ready means "in the group with partitions assigned": only then is the service really consuming.
  await joined;
  logger.info('consumer joined its group', { groupId, topics });
  return { stop: () => consumer.disconnect() };
}
