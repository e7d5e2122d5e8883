import type { Caller, Order } from '@orderline/contracts';
import type { OrderRepository } from '../db/order-repository';
import { assertCanMove, isVisibleTo } from './order-state-machine';
import { OrderNotFound } from './update-order';

/**
 * Cancels (never erases) a PENDING or CONFIRMED order and gives its stock back. The status moves
 * first (with its event), then inventory releases; a retry after a crash in between finds the
 * order CANCELLED and releases again, which inventory makes a no-op once done. Cancelling a
 * cancelled order answers it as it is.
 */
export async function cancelOrder(
  command: { orderId: string; caller: Caller },
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
  if (order.status === 'CANCELLED') {
    await deps.releaseStock(order.id);
    return order;
  }
  assertCanMove(order.status, 'CANCELLED');
  const cancelled = await deps.orders.transition(order.id, {
    from: ['PENDING', 'CONFIRMED'],
    to: 'CANCELLED',
    event: 'OrderCancelled',
    correlationId,
  });
  if (!cancelled) return cancelOrder(command, correlationId, deps); // it moved meanwhile: decide again
  deps.onCancelled?.();
  await deps.releaseStock(order.id);
  return cancelled;
}
