import {
  GetCustomers,
  ReleaseStock,
  ReserveStock,
  chunkByBytes,
  payloadBudget,
  type Customer,
  type Reservation,
} from '@orderline/contracts';
import type { Requester } from '@orderline/messaging';
import type { OrderToReserve } from '../domain/place-orders';
import { reservationChunks } from './reservation-chunks';

/**
 * What order-management asks customer-service and inventory-service (request/reply), each request
 * cut to fit a message whatever the ids and lines hold.
 */
export function serviceRequests(requester: Pick<Requester, 'request'>, maxMessageBytes: number) {
  return {
    /** one look-up per batch; ids are short, but a request (and its reply) stays within a message whatever they hold */
    async findCustomers(customerIds: string[], correlationId: string): Promise<Customer[]> {
      const chunks = chunkByBytes(customerIds, Math.floor(payloadBudget(maxMessageBytes) / 4));
      const replies = await Promise.all(
        chunks.map((ids) => requester.request(GetCustomers, { customerIds: ids }, { key: ids[0], correlationId })),
      );
      return replies.flatMap((reply) => reply.customers);
    },

    /** in requests of whole orders, one after the other: earlier orders still get scarce stock first */
    async reserveStock(orders: OrderToReserve[], correlationId: string): Promise<Reservation[]> {
      const results: Reservation[] = [];
      for (const chunk of reservationChunks(orders, maxMessageBytes)) {
        const reply = await requester.request(ReserveStock, { orders: chunk }, { key: chunk[0].orderId, correlationId });
        results.push(...reply.results);
      }
      return results;
    },

    releaseStock: (orderId: string, correlationId: string) => requester.request(ReleaseStock, { orderId }, { key: orderId, correlationId }),
  };
}
