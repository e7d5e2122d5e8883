import { randomUUID } from 'node:crypto';
import { Topics } from '@orderline/contracts';
import { newEnvelope, type Publisher } from '@orderline/messaging';

/** Poison for every consumed topic: not JSON, not an envelope, an unknown type, a bad payload. */
export async function publishPoison(publisher: Publisher): Promise<void> {
  const badPayloads: Record<string, string> = {
    [Topics.orderCommands]: 'CreateOrder',
    [Topics.orderQueries]: 'ListOrders',
    [Topics.customerRequests]: 'GetCustomers',
    [Topics.inventoryRequests]: 'ReserveStock',
    [Topics.inventoryQueries]: 'GetProduct',
  };
  for (const [topic, type] of Object.entries(badPayloads)) {
    const key = `poison-${randomUUID()}`;
    await publisher.sendRaw([
      { topic, key, value: 'not json at all {' },
      { topic, key, value: JSON.stringify({ hello: 'world' }) },
      { topic, key, value: JSON.stringify(newEnvelope('NoSuchMessageType', {}, key)) },
      {
        topic,
        key,
        value: JSON.stringify(newEnvelope(type, { orderId: 'not-a-uuid', items: 'none' }, key, { replyTo: Topics.gatewayReplies })),
      },
    ]);
  }
}
