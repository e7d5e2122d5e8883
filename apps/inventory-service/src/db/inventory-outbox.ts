import { Topics, type MessageContract } from '@orderline/contracts';
import type { SqlClient } from '@orderline/db';
import { newEnvelope } from '@orderline/messaging';
import { activeTraceHeaders } from '@orderline/tracing';
import type { z } from 'zod';

/** The table inventory's relay publishes from (libs/db OutboxRepository; its lease is named after it). */
export const INVENTORY_OUTBOX_TABLE = 'inventory_outbox_events';

export interface InventoryEvent {
  productId: string;
  type: string;
  /** the whole envelope: a re-published event keeps its messageId */
  envelope: unknown;
}

/** An inventory.events message for the outbox, keyed by its product. */
export function inventoryEvent<P extends z.ZodType>(
  contract: MessageContract<P>,
  productId: string,
  payload: z.infer<P>,
  correlationId: string,
): InventoryEvent {
  return { productId, type: contract.type, envelope: newEnvelope(contract, contract.payload.parse(payload), correlationId) };
}

/**
 * Writes events to the outbox in the caller's transaction, in the order given (one statement),
 * with the trace context they are written in (the relay's publish continues it).
 */
export async function insertInventoryEvents(db: SqlClient, events: InventoryEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO ${INVENTORY_OUTBOX_TABLE} (aggregate_id, type, payload, headers)
     SELECT v.aggregate_id, v.type, v.payload, jsonb_build_object('topic', $2::text) || $3::jsonb
     FROM jsonb_to_recordset($1::jsonb) AS v(n int, aggregate_id text, type text, payload jsonb) ORDER BY v.n`,
    [
      JSON.stringify(events.map((e, n) => ({ n, aggregate_id: e.productId, type: e.type, payload: e.envelope }))),
      Topics.inventoryEvents,
      JSON.stringify(activeTraceHeaders() ?? {}),
    ],
  );
}
