import type { Kafka } from 'kafkajs';
import { ConsumerGroups, CreateOrder, GetCustomer, GetOrder, ReserveStock, Topics } from '@orderline/contracts';
import { addToLogContext, type Logger } from '@orderline/logging';
import { onMessage, onRequest, startConsumer, type Publisher, type Requester } from '@orderline/messaging';
import type { OrderRepository } from '../db/order-repository';
import { placeOrder } from '../domain/place-order';

/**
 * Consumes `orders.commands` (keyed by order id, so one order's commands arrive in order):
 * CreateOrder is decided here; GetOrder is answered after every earlier command of that order.
 */
export function startOrderCommandsConsumer(deps: {
  kafka: Kafka;
  publisher: Publisher;
  requester: Requester;
  orders: OrderRepository;
  logger: Logger;
}) {
  const { publisher, requester, orders, logger } = deps;
  return startConsumer({
    kafka: deps.kafka,
    groupId: ConsumerGroups.orderManagement,
    topics: [Topics.orderCommands],
    publisher,
    logger,
    routes: [
      onMessage(CreateOrder, async (command, envelope) => {
        addToLogContext({ orderId: command.orderId });
        const { correlationId } = envelope;
        const outcome = await placeOrder(command, correlationId, {
          orders,
          findCustomer: async (customerId) =>
            (await requester.request(GetCustomer, { customerId }, { key: customerId, correlationId })).customer,
          reserveStock: (orderId, items) =>
            requester.request(ReserveStock, { orderId, items }, { key: orderId, correlationId }),
        });
        logger.info('order decided', { outcome });
      }),
      onRequest(GetOrder, publisher, async ({ orderId }) => ({ order: await orders.findById(orderId) })),
    ],
  });
}
