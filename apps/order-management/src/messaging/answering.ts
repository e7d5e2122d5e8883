import { ReplyError } from '@orderline/messaging';
import { InvalidCursor } from '../domain/list-orders';
import { OrderNotFound } from '../domain/order-access';
import { OrderRuleViolation } from '../domain/order-state-machine';
import { OrderVersionMismatch } from '../domain/order-versions';

/** Domain refusals become error replies (→ 404/403/409/412/400 at the gateway); anything else is retried. */
export async function answering<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof OrderNotFound) throw new ReplyError('NOT_FOUND', error.message);
    if (error instanceof OrderRuleViolation) throw new ReplyError(error.kind, error.message);
    if (error instanceof OrderVersionMismatch) throw new ReplyError('PRECONDITION_FAILED', error.message);
    if (error instanceof InvalidCursor) throw new ReplyError('BAD_REQUEST', error.message);
    throw error;
  }
}
