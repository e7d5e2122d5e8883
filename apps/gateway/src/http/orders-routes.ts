import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { CreateOrder, CreateOrderBody, GetOrder, OrderIdParam } from '@orderline/contracts';
import { newEnvelope, type Publisher, type Requester } from '@orderline/messaging';
import { callerOf } from './auth';
import { HttpProblem, parseRequest } from './problem-response';

/**
 * /api/v1/orders. Create is fire-and-forget: the command is durable in Kafka (acks=all) when the
 * 202 goes out. Reads are request/reply to order-management, keyed by order id so they queue
 * behind earlier commands for the same order.
 */
export function ordersRouter({ publisher, requester }: { publisher: Publisher; requester: Requester }): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const body = parseRequest(CreateOrderBody, req.body, 'body');
    const caller = callerOf(res);
    if (caller.role !== 'admin' && body.customerId !== undefined && body.customerId !== caller.sub) {
      throw new HttpProblem('forbidden', 'customers may only order for themselves');
    }
    const customerId = caller.role === 'admin' ? (body.customerId ?? caller.sub) : caller.sub;
    const orderId = randomUUID();
    const correlationId = String(res.locals['correlationId']);
    await publisher.publish({
      topic: CreateOrder.topic,
      key: orderId,
      envelope: newEnvelope(
        CreateOrder.type,
        CreateOrder.payload.parse({ orderId, customerId, items: body.items, shippingAddress: body.shippingAddress }),
        correlationId,
      ),
    });
    res.status(202).location(`/api/v1/orders/${orderId}`).json({ id: orderId, status: 'PENDING' });
  });

  router.get('/:id', async (req, res) => {
    const { id } = parseRequest(OrderIdParam, req.params, 'params');
    const caller = callerOf(res);
    const { order } = await requester.request(
      GetOrder,
      { orderId: id },
      { key: id, correlationId: String(res.locals['correlationId']) },
    );
    // Someone else's order is "not found", never "forbidden": ids of others' orders are not disclosed.
    if (!order || (caller.role !== 'admin' && order.customerId !== caller.sub)) {
      throw new HttpProblem('notFound', `no order ${id}`);
    }
    res.json(order);
  });

  return router;
}
