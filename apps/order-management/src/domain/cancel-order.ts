import type { Caller, Order } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';
import { assertCanMove, isVisibleTo } from './order-state-machine';
import { OrderNotFound, assertAtVersion } from './update-order';

/**
 * Cancels (never erases) a PENDING or CONFIRMED order and gives its stock back. The status moves
 * first (with its event), then inventory releases; a retry after a crash in between finds the
 * order CANCELLED and releases again, which inventory makes a no-op once done. Cancelling a
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
  const order = await deps.orders.findById(command.orderId);
  if (!order || !isVisibleTo(order, command.caller)) throw new OrderNotFound(`no order ${command.orderId}`);
  if (command.expectedVersion !== undefined) assertAtVersion(order, command.expectedVersion);
  if (order.status === 'CANCELLED') {
    await deps.releaseStock(order.id);
    return order;
  }
  assertCanMove(order.status, 'CANCELLED');
  const cancelled = await deps.orders.transition(order.id, {
    from: ['PENDING', 'CONFIRMED'],
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
