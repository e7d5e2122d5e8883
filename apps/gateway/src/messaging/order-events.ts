import {
  CreateOrder,
  OrderEvents,
  messagePayload,
  readPayload,
  type CreateOrderPayload,
  type Envelope,
  type Order,
} from '@orderline/contracts';

const orderEventPayloads = new Map(Object.values(OrderEvents).map((contract) => [contract.type, messagePayload(contract)]));
const createOrderPayload = messagePayload(CreateOrder);

/**
 * The order an `orders.events` envelope carries, read by its version as any consumer reads it
 * (`readPayload`); undefined when it is no order event or cannot be read.
 */
export function orderOfEvent(envelope: Envelope, type = envelope.type): Order | undefined {
  const payload = orderEventPayloads.get(type);
  if (!payload) return undefined;
  const read = readPayload(payload, envelope.version, envelope.payload);
  return read.ok ? read.payload.order : undefined;
}

/** The command a `CreateOrder` envelope carries, read by its version; undefined when it cannot be read. */
export function createOrderCommand(envelope: Envelope): CreateOrderPayload | undefined {
  const read = readPayload(createOrderPayload, envelope.version, envelope.payload);
  return read.ok ? read.payload : undefined;
}
