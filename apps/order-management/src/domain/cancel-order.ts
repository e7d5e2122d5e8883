import type { Caller, Order } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';
import { visibleOrder } from './order-access';
import { assertCanMove, statusesThatCanBecome } from './order-state-machine';
import { assertAtVersion } from './order-versions';

/**
 * Cancels (never erases) an order the lifecycle lets become CANCELLED (PENDING or CONFIRMED) and
 * gives its stock back. The status moves first (with its event), then inventory releases; a retry
 * after a crash in between finds the order CANCELLED and releases again, which inventory makes a
 * no-op once done. Cancelling a
 * cancelled order answers it as it is. With `expectedVersion` (If-Match) only while the order is
 * at that version.
 */
export async function cancelOrder(
  command: { orderId: string; caller: Caller; expectedVersion?: number },
  correlationId: string,
  deps: {
    orders: Pick<OrderRepository, 'findById' | 'transition'>;
    releaseStock(orderId: string): Promise<unknown>;
    /** called once, when this call is the one that cancelled the order */
    onCancelled?(): void;
  },
): Promise<Order> {
  const order = visibleOrder(await deps.orders.findById(command.orderId), command.caller, command.orderId);
  if (command.expectedVersion !== undefined) assertAtVersion(order, command.expectedVersion);
  if (order.status === 'CANCELLED') {
    await deps.releaseStock(order.id);
    return order;
  }
  assertCanMove(order.status, 'CANCELLED');
  const cancelled = await deps.orders.transition(order.id, {
    from: statusesThatCanBecome('CANCELLED'),
    expectedVersion: command.expectedVersion,
    to: 'CANCELLED',
    event: 'OrderCancelled',
    correlationId,
  });
  // it moved meanwhile: decide again (with expectedVersion the re-read answers the new version as a mismatch)
  if (!cancelled) return cancelOrder(command, correlationId, deps);
  deps.onCancelled?.();
  await deps.releaseStock(order.id);
  return cancelled;
}
