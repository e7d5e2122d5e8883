import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import {
  CancelOrder,
  CreateOrder,
  CreateOrderRequest,
  GetOrder,
  IdempotencyKey,
  ListOrders,
  UpdateOrder,
  apiRoutes,
  type Caller,
  type Order,
} from '@orderline/contracts';
import { ReplyFailedError, newEnvelope, type Publisher, type Requester } from '@orderline/messaging';
import { createRequestHash, orderIdForIdempotencyKey } from '../domain/idempotency';
import { callerOf } from './auth';
import { changeAtMatchingVersion, etagOf, parseIfMatch } from './if-match';
import { HttpProblem } from './problem-response';
import { correlationIdOf, inputOf } from './route-input';

const asCaller = (res: Parameters<RequestHandler>[1]): Caller => {
  const { sub, role } = callerOf(res);
  return { customerId: sub, role };
};

/**
 * /api/v1/orders. Create is fire-and-forget (the command is durable in Kafka, acks=all, when the
 * 202 goes out); with an Idempotency-Key it waits until order-management has stored the order.
 * Everything else is request/reply to order-management, keyed by order id so it queues behind
 * earlier commands for the same order. One order is sent with its version as ETag; changes honour
 * If-Match (see if-match.ts).
 */
export function orderHandlers({ publisher, requester }: { publisher: Publisher; requester: Requester }) {
  const createOrder: RequestHandler = async (req, res) => {
    const { body } = inputOf(res, apiRoutes.createOrder);
    const caller = callerOf(res);
    if (caller.role !== 'admin' && body.customerId !== undefined && body.customerId !== caller.sub) {
      throw new HttpProblem('forbidden', 'customers may only order for themselves');
    }
    const customerId = caller.role === 'admin' ? (body.customerId ?? caller.sub) : caller.sub;
    const correlationId = correlationIdOf(res);
    const command = { customerId, items: body.items, shippingAddress: body.shippingAddress };

    const keyHeader = req.header('idempotency-key');
    if (keyHeader === undefined) {
      const orderId = randomUUID();
      await publisher.publish({
        topic: CreateOrder.topic,
        key: orderId,
        envelope: newEnvelope(CreateOrder.type, CreateOrder.payload.parse({ orderId, ...command }), correlationId),
      });
      return accepted(res, orderId);
    }

    const key = IdempotencyKey.safeParse(keyHeader);
    if (!key.success) {
      throw new HttpProblem('validation', 'Idempotency-Key must be 1 to 255 characters', [
        { path: 'headers.idempotency-key', message: key.error.issues[0]?.message ?? 'invalid' },
      ]);
    }
    const orderId = orderIdForIdempotencyKey(customerId, key.data);
    const requestHash = createRequestHash(customerId, body);
    try {
      await requester.request(
        CreateOrderRequest,
        { orderId, ...command, idempotencyKey: key.data, requestHash },
        { key: orderId, correlationId },
      );
    } catch (error) {
      if (error instanceof ReplyFailedError && error.code === 'CONFLICT') {
        throw new HttpProblem('idempotencyConflict', error.message);
      }
      throw error;
    }
    accepted(res, orderId);
  };

  const readOrder = async (orderId: string, res: Parameters<RequestHandler>[1]) =>
    (await requester.request(GetOrder, { orderId, caller: asCaller(res) }, { key: orderId, correlationId: correlationIdOf(res) }))
      .order;

  // with ETag set, Express answers a matching If-None-Match with 304
  const getOrder: RequestHandler = async (_req, res) => {
    const { params } = inputOf(res, apiRoutes.getOrder);
    sendOrder(res, await readOrder(params.id, res));
  };

  const listOrders: RequestHandler = async (_req, res) => {
    const { query } = inputOf(res, apiRoutes.listOrders);
    const caller = asCaller(res);
    const page = await requester.request(
      ListOrders,
      { caller, ...query },
      { key: query.customerId ?? caller.customerId, correlationId: correlationIdOf(res) },
    );
    res.json(page);
  };

  /** Every UpdateOrder names the version it was made against: If-Match's, or the one just read. */
  const updateOrder: RequestHandler = async (req, res) => {
    const { params, body } = inputOf(res, apiRoutes.updateOrder);
    const caller = asCaller(res);
    if (body.status && caller.role !== 'admin') throw new HttpProblem('forbidden', 'only an admin may change the status');
    const ifMatch = parseIfMatch(req.header('if-match'));
    const tracking =
      body.trackingCompany && body.trackingNumber
        ? { trackingCompany: body.trackingCompany, trackingNumber: body.trackingNumber }
        : undefined;
    const order = await changeAtMatchingVersion(ifMatch, {
      read: () => readOrder(params.id, res),
      change: async (expectedVersion) =>
        (
          await requester.request(
            UpdateOrder,
            { orderId: params.id, caller, expectedVersion, shippingAddress: body.shippingAddress, status: body.status, tracking },
            { key: params.id, correlationId: correlationIdOf(res) },
          )
        ).order,
    });
    sendOrder(res, order);
  };

  /** Without If-Match (or with `*`) a cancel needs no version: it is monotonic, and repeating it is harmless. */
  const cancelOrder: RequestHandler = async (req, res) => {
    const { params } = inputOf(res, apiRoutes.cancelOrder);
    const ifMatch = parseIfMatch(req.header('if-match'));
    const cancel = async (expectedVersion?: number) =>
      (
        await requester.request(
          CancelOrder,
          { orderId: params.id, caller: asCaller(res), expectedVersion },
          { key: params.id, correlationId: correlationIdOf(res) },
        )
      ).order;
    const order =
      ifMatch?.kind === 'tags'
        ? await changeAtMatchingVersion(ifMatch, { read: () => readOrder(params.id, res), change: cancel })
        : await cancel();
    sendOrder(res, order);
  };

  return { createOrder, getOrder, listOrders, updateOrder, replaceOrder: updateOrder, cancelOrder };
}

function sendOrder(res: Parameters<RequestHandler>[1], order: Order): void {
  res.set('ETag', etagOf(order.version)).json(order);
}

function accepted(res: Parameters<RequestHandler>[1], orderId: string): void {
  res.status(202).location(`/api/v1/orders/${orderId}`).json({ id: orderId, status: 'PENDING' });
}
