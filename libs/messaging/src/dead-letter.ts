import type { KafkaMessage } from 'kafkajs';
import { Headers, deadLetterTopic, type Envelope } from '@orderline/contracts';
import type { Logger } from '@orderline/logging';
import { deadLetteredMessages } from './metrics';
import { sizeOf, type Publisher, type RawMessage } from './publisher';
import { sendReply } from './routes';

/** A message as the consumer took it from the log. */
export interface Delivery {
  topic: string;
  partition: number;
  message: Pick<KafkaMessage, 'key' | 'value' | 'headers' | 'offset'>;
}

/** What dead-lettering takes: publishing (the letter, and an answer to a request) within the broker's message size. */
export type DeadLetterSender = Pick<Publisher, 'publish' | 'sendRaw' | 'maxMessageBytes'>;

/**
 * The dead letter of a delivery: the original message unchanged (value, key, headers) on
 * `<topic>.dlq`, plus headers naming why and where it came from. A message near the broker's limit
 * no longer fits with those headers: then only its start is kept, and `dlq-truncated-from` says
 * how long it was.
 */
export function deadLetterOf({ topic, partition, message }: Delivery, reason: string, maxMessageBytes: number): RawMessage {
  const letter: RawMessage = {
    topic: deadLetterTopic(topic),
    key: message.key ?? null,
    value: message.value,
    headers: {
      ...message.headers,
      [Headers.error]: reason.slice(0, 2_000),
      [Headers.sourceTopic]: topic,
      [Headers.sourcePartition]: String(partition),
      [Headers.sourceOffset]: message.offset,
    },
  };
  const over = sizeOf(letter) - maxMessageBytes;
  if (over > 0 && letter.value) {
    const value = Buffer.from(letter.value);
    letter.headers = { ...letter.headers, [Headers.truncatedFrom]: String(value.length) };
    letter.value = value.subarray(0, Math.max(value.length - over - 1_024, 0));
  }
  return letter;
}

/**
 * Moves messages that cannot be handled to `<topic>.dlq`, so the partition moves on. A message
 * whose handling was tried (it comes with its envelope) is first reported to `onDeadLetter` (its
 * route's hook) and, when it is a request the hook did not answer itself, answered INTERNAL, so
 * its caller is not left waiting for a timeout.
 */
export class DeadLetters {
  constructor(
    private readonly options: {
      publisher: DeadLetterSender;
      logger: Logger;
      /** the topics a request may name as `replyTo` */
      isReplyTopic: (topic: string) => boolean;
      /** resolves true when it has answered the request itself */
      onDeadLetter?: (envelope: Envelope, reason: string) => Promise<boolean | void> | undefined;
      /** the version replies to a request type are written as */
      replyVersionOf?: (type: string) => number | undefined;
    },
  ) {}

  async send(delivery: Delivery, reason: string, envelope?: Envelope): Promise<void> {
    const { publisher, logger, isReplyTopic, onDeadLetter, replyVersionOf } = this.options;
    logger.warn('message dead-lettered', { topic: delivery.topic, partition: delivery.partition, offset: delivery.message.offset, reason });
    deadLetteredMessages.inc({ topic: delivery.topic });
    if (envelope) {
      const answered = await onDeadLetter?.(envelope, reason)?.catch((error: unknown) => {
        logger.error('could not record a dead-lettered message', { type: envelope.type, error: String(error) });
      });
      if (!answered && envelope.replyTo && isReplyTopic(envelope.replyTo)) {
        const error = { code: 'INTERNAL', message: 'the request could not be processed' } as const;
        await sendReply(publisher, envelope, { ok: false, error }, replyVersionOf?.(envelope.type));
      }
    }
    await publisher.sendRaw([deadLetterOf(delivery, reason, publisher.maxMessageBytes)]);
  }
}
