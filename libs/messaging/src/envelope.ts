import { randomUUID } from 'node:crypto';
import type { Envelope } from '@orderline/contracts';

/** What an envelope is of: a contract (its type and the version producers write). */
export interface MessageKind {
  type: string;
  version?: number;
}

/**
 * A new envelope of `kind`'s type and version. A bare type (tests and tools forging messages)
 * writes no version, which consumers read as 1.
 */
export function newEnvelope<P>(
  kind: MessageKind | string,
  payload: P,
  correlationId: string,
  extra: Pick<Envelope, 'replyTo' | 'inReplyTo' | 'replyBy'> = {},
): Envelope<P> {
  const { type, version } = typeof kind === 'string' ? { type: kind, version: undefined } : kind;
  return {
    messageId: randomUUID(),
    correlationId,
    type,
    ...(version !== undefined ? { version } : {}),
    occurredAt: new Date().toISOString(),
    ...extra,
    payload,
  };
}
