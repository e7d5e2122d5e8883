import { CreateOrder, type CreateOrderPayload, type Envelope } from '@orderline/contracts';
import { withLogContext, type Logger } from '@orderline/logging';
import { sendReply, traceOfMessage, type Publisher, type Requester } from '@orderline/messaging';
import type { OrderRepository } from '../db/order-repository';
import { placeOrders } from '../domain/place-orders';
import { recordDecision } from './order-metrics';
import { serviceRequests } from './service-requests';
import { timedSteps } from './step-timings';

export interface CreateOrderCommandsDeps {
  /** answers requests; requests to the other services are cut to fit its largest message */
  publisher: Pick<Publisher, 'publish' | 'maxMessageBytes'>;
  requester: Pick<Requester, 'request'>;
  orders: Pick<OrderRepository, 'findExisting' | 'countOpenOrders' | 'insertDecided' | 'releaseIfRejected' | 'insertFailed'>;
  logger: Logger;
  /** open orders a customer may have (MAX_OPEN_ORDERS_PER_CUSTOMER) */
  maxOpenOrdersPerCustomer: number;
}

type CreateOrderCommand = { payload: CreateOrderPayload; envelope: Envelope };

/**
 * CreateOrder commands as they come off `orders.commands`, many at once: placed by placeOrders
 * (one customer look-up, one reservation, one transaction per batch), one log line per batch with
 * the time each step took, every new decision counted, and the commands sent with an
 * Idempotency-Key answered: stored (or already there), or CONFLICT for a reused key.
 */
export function createOrderCommands(deps: CreateOrderCommandsDeps) {
  const { publisher, orders, logger, maxOpenOrdersPerCustomer } = deps;
  const services = serviceRequests(deps.requester, publisher.maxMessageBytes);

  async function place(items: CreateOrderCommand[]): Promise<void> {
    const correlationId = items.length === 1 ? items[0].envelope.correlationId : `batch-${items[0].envelope.messageId}`;
    const { timed, timings } = timedSteps({
      findExisting: (ids: string[]) => orders.findExisting(ids),
      countOpenOrders: (customerIds: string[], orderIds: string[]) =>
        orders.countOpenOrders(customerIds, orderIds, maxOpenOrdersPerCustomer),
      findCustomers: (customerIds: string[]) => services.findCustomers(customerIds, correlationId),
      reserveStock: (toReserve: Parameters<typeof services.reserveStock>[0]) => services.reserveStock(toReserve, correlationId),
      insertDecided: (decided: Parameters<typeof orders.insertDecided>[0], release: string[]) => orders.insertDecided(decided, release),
    });
    const started = performance.now();
    const results = await placeOrders(
      items.map(({ payload, envelope }) => ({ command: payload, correlationId: envelope.correlationId, trace: traceOfMessage(envelope) })),
      { ...timed, maxOpenOrdersPerCustomer, releaseIfRejected: (ids) => orders.releaseIfRejected(ids, correlationId) },
    );
    logger.info('orders placed', { count: items.length, ms: Math.round(performance.now() - started), steps: timings });
    await Promise.all(
      items.map(({ payload, envelope }, i) =>
        withLogContext({ correlationId: envelope.correlationId, orderId: payload.orderId }, async () => {
          const result = results[i];
          if (result.created) {
            recordDecision(result.outcome, result.outcome === 'REJECTED' ? result.reason : undefined, envelope.occurredAt);
            // one line per order only at debug: at thousands of orders a second it is the batch line that counts
            logger.debug('order decided', { outcome: result.outcome });
          }
          if (!envelope.replyTo) return;
          await sendReply(
            publisher,
            envelope,
            result.outcome === 'CONFLICT'
              ? { ok: false, error: { code: 'CONFLICT', message: 'this Idempotency-Key was used with a different request' } }
              : { ok: true, result: { orderId: payload.orderId, created: result.created } },
          );
        }),
      ),
    );
  }

  /** Every accepted order ends final: one that could not be decided is stored REJECTED / PROCESSING_FAILED. */
  /** Resolves true when it answered the request (sent with an Idempotency-Key) itself. */
  async function recordUndecided(envelope: Envelope): Promise<boolean> {
    const parsed = CreateOrder.payload.safeParse(envelope.payload);
    if (!parsed.success) return false; // never valid: there is no order to record
    const { orderId } = parsed.data;
    const inserted = await orders.insertFailed([{ command: parsed.data, correlationId: envelope.correlationId }]);
    if (inserted.size > 0) recordDecision('REJECTED', 'PROCESSING_FAILED', envelope.occurredAt);
    logger.warn('order could not be decided: stored as REJECTED / PROCESSING_FAILED', { orderId });
    if (!envelope.replyTo) return false;
    // the order exists (decided, readable), so the client waiting with an Idempotency-Key gets its 202
    await sendReply(publisher, envelope, { ok: true, result: { orderId, created: inserted.size > 0 } });
    return true;
  }

  return { place, recordUndecided };
}
