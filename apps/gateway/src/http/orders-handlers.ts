import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import {
  CancelOrder,
  CreateOrder,
  CreateOrderRequest,
  GetOrder,
  ListOrders,
  UpdateOrder,
  apiRoutes,
  type Caller,
} from '@orderline/contracts';
import { ReplyFailedError, newEnvelope, type Publisher, type Requester } from '@orderline/messaging';
import { createRequestHash, orderIdForIdempotencyKey } from '../domain/idempotency';
import { callerOf } from './auth';
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
 * earlier commands for the same order.
 */
export function orderHandlers({ publisher, requester }: { publisher: Publisher; requester: Requester }) {
  const createOrder: RequestHandler = async (_req, res) => {
    const { body, headers } = inputOf(res, apiRoutes.createOrder);
    const caller = callerOf(res);
    if (caller.role !== 'admin' && body.customerId !== undefined && body.customerId !== caller.sub) {
      throw new HttpProblem('forbidden', 'customers may only order for themselves');
    }
    const customerId = caller.role === 'admin' ? (body.customerId ?? caller.sub) : caller.sub;
    const correlationId = correlationIdOf(res);
    const command = { customerId, items: body.items, shippingAddress: body.shippingAddress };

    const idempotencyKey = headers['idempotency-key'];
    if (idempotencyKey === undefined) {
      const orderId = randomUUID();
      await publisher.publish({
        topic: CreateOrder.topic,
        key: orderId,
        envelope: newEnvelope(CreateOrder.type, CreateOrder.payload.parse({ orderId, ...command }), correlationId),
      });
      return accepted(res, orderId);
    }

    const orderId = orderIdForIdempotencyKey(customerId, idempotencyKey);
    const requestHash = createRequestHash(customerId, body);
    try {
      await requester.request(
        CreateOrderRequest,
        { orderId, ...command, idempotencyKey, requestHash },
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

  const getOrder: RequestHandler = async (_req, res) => {
    const { params } = inputOf(res, apiRoutes.getOrder);
    const { order } = await requester.request(
      GetOrder,
      { orderId: params.id, caller: asCaller(res) },
      { key: params.id, correlationId: correlationIdOf(res) },
    );
    res.json(order);
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

  const updateOrder: RequestHandler = async (_req, res) => {
    const { params, body } = inputOf(res, apiRoutes.updateOrder);
    const caller = asCaller(res);
    if (body.status && caller.role !== 'admin') throw new HttpProblem('forbidden', 'only an admin may change the status');
    const tracking =
      body.trackingCompany && body.trackingNumber
        ? { trackingCompany: body.trackingCompany, trackingNumber: body.trackingNumber }
        : undefined;
    const { order } = await requester.request(
      UpdateOrder,
      { orderId: params.id, caller, shippingAddress: body.shippingAddress, status: body.status, tracking },
      { key: params.id, correlationId: correlationIdOf(res) },
    );
    res.json(order);
  };

  const cancelOrder: RequestHandler = async (_req, res) => {
    const { params } = inputOf(res, apiRoutes.cancelOrder);
    const { order } = await requester.request(
      CancelOrder,
      { orderId: params.id, caller: asCaller(res) },
      { key: params.id, correlationId: correlationIdOf(res) },
    );
    res.json(order);
  };

  return { createOrder, getOrder, listOrders, updateOrder, replaceOrder: updateOrder, cancelOrder };
}

function accepted(res: Parameters<RequestHandler>[1], orderId: string): void {
  res.status(202).location(`/api/v1/orders/${orderId}`).json({ id: orderId, status: 'PENDING' });
}
