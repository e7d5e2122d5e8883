import { randomUUID } from 'node:crypto';
import type { Envelope } from '@orderline/contracts';

export function newEnvelope<P>(
  type: string,
  payload: P,
  correlationId: string,
  extra: Pick<Envelope, 'replyTo' | 'inReplyTo' | 'replyBy'> = {},
): Envelope<P> {
  return {
    messageId: randomUUID(),
    correlationId,
    type,
    occurredAt: new Date().toISOString(),
    ...extra,
    payload,
  };
}
