import {
  LowStock,
  StockAdjusted,
  type AdjustStock,
  type StockAdjustment,
  type StockMovement,
  type StockMovementPage,
} from '@orderline/contracts';
import { inTransaction, poolOf, type PrismaClient, type SqlClient } from '@orderline/db';
import type { z } from 'zod';
import { adjustmentHash, decideAdjustment } from '../domain/adjust-stock';
import { fellToLowStock, thresholdOf } from '../domain/stock-levels';
import { inventoryEvent, insertInventoryEvents, type InventoryEvent } from './inventory-outbox';

export type AdjustmentRequest = StockAdjustment & { productId: string; actor: string; idempotencyKey: string };
export type AdjustmentResult = z.infer<(typeof AdjustStock)['reply']>;

interface MovementRow {
  id: string;
  product_id: string;
  kind: StockMovement['kind'];
  delta: number;
  quantity_after: number;
  reason: StockMovement['reason'];
  actor: string | null;
  reference: string | null;
  order_id: string | null;
  created_at: Date;
}

const MOVEMENT_COLUMNS = `id::text AS id, product_id, kind, delta, quantity_after, reason, actor, reference, order_id::text AS order_id, created_at`;

const toMovement = (row: MovementRow): StockMovement => ({
  id: row.id,
  productId: row.product_id,
  kind: row.kind,
  delta: row.delta,
  quantityAfter: row.quantity_after,
  reason: row.reason,
  actor: row.actor,
  reference: row.reference,
  orderId: row.order_id,
  createdAt: row.created_at.toISOString(),
});

export interface StockLogRepositoryOptions {
  lowStockThreshold: number;
  eventsCommitted?: () => void;
}

/**
 * Admins' stock adjustments and the stock log (stock_movements) they, reservations and releases
 * write. An adjustment locks its product first (as reservations do), so adjustments and orders on
 * one product take turns and each log row's quantity_after is the stock right after it.
 */
export class StockLogRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: StockLogRepositoryOptions,
  ) {}

  /**
   * Applies an adjustment once per product and Idempotency-Key (the key's movement row holds it,
   * with the request's hash), with StockAdjusted and, when the stock falls to the threshold,
   * LowStock, in one transaction. Null when there is no such product.
   */
  async adjust(request: AdjustmentRequest, correlationId: string): Promise<AdjustmentResult | null> {
    const { result, events } = await inTransaction(poolOf(this.prisma), async (db) => {
      const none = { result: null, events: [] as InventoryEvent[] };
      const { rows: products } = await db.query<{ available_quantity: number; low_stock_threshold: number | null }>(
        `SELECT available_quantity, low_stock_threshold FROM products WHERE id = $1 FOR UPDATE`,
        [request.productId],
      );
      const product = products[0];
      if (!product) return none;
      // under the product's lock: no other adjustment with this key can be half-way
      const { rows: before } = await db.query<MovementRow & { request_hash: string | null }>(
        `SELECT ${MOVEMENT_COLUMNS}, request_hash FROM stock_movements WHERE product_id = $1 AND idempotency_key = $2`,
        [request.productId, request.idempotencyKey],
      );
      const decision = decideAdjustment(
        product.available_quantity,
        request,
        before[0] && { id: before[0].id, requestHash: before[0].request_hash },
      );
      switch (decision.outcome) {
        case 'REPLAY':
          return { result: { outcome: 'APPLIED' as const, movement: toMovement(before[0]) }, events: [] };
        case 'KEY_REUSED':
          return { result: { outcome: 'KEY_REUSED' as const }, events: [] };
        case 'INSUFFICIENT_STOCK':
        case 'OVER_MAXIMUM':
          return { result: { outcome: decision.outcome, availableQuantity: decision.availableQuantity }, events: [] };
      }
      const movement = await applyAdjustment(db, request, decision.quantityAfter);
      const threshold = thresholdOf(product.low_stock_threshold, this.options.lowStockThreshold);
      const events = [inventoryEvent(StockAdjusted, request.productId, { movement }, correlationId)];
      if (fellToLowStock(product.available_quantity, decision.quantityAfter, threshold)) {
        events.push(
          inventoryEvent(
            LowStock,
            request.productId,
            { productId: request.productId, availableQuantity: decision.quantityAfter, threshold },
            correlationId,
          ),
        );
      }
      await insertInventoryEvents(db, events);
      return { result: { outcome: 'APPLIED' as const, movement }, events };
    });
    if (events.length > 0) this.options.eventsCommitted?.();
    return result;
  }

  /** A product's log, newest first, a page at a time (keyset on id); null when there is no such product. */
  async movements(productId: string, limit: number, cursor?: string): Promise<StockMovementPage | null> {
    const pool = poolOf(this.prisma);
    const [{ rows: exists }, { rows }] = await Promise.all([
      pool.query(`SELECT 1 FROM products WHERE id = $1`, [productId]),
      pool.query<MovementRow>(
        `SELECT ${MOVEMENT_COLUMNS} FROM stock_movements
         WHERE product_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
         ORDER BY id DESC LIMIT $3`,
        [productId, cursor ?? null, limit + 1],
      ),
    ]);
    if (exists.length === 0) return null;
    const items = rows.slice(0, limit).map(toMovement);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }
}

/** The stock change and its log row, under the product's lock. */
async function applyAdjustment(db: SqlClient, request: AdjustmentRequest, quantityAfter: number): Promise<StockMovement> {
  await db.query(`UPDATE products SET available_quantity = $2, updated_at = now() WHERE id = $1`, [request.productId, quantityAfter]);
  const { rows } = await db.query<MovementRow>(
    `INSERT INTO stock_movements (product_id, kind, delta, quantity_after, reason, actor, reference, idempotency_key, request_hash)
     VALUES ($1, 'ADJUSTMENT', $2, $3, $4::stock_adjustment_reason, $5, $6, $7, $8)
     RETURNING ${MOVEMENT_COLUMNS}`,
    [
      request.productId,
      request.delta,
      quantityAfter,
      request.reason,
      request.actor,
      request.reference ?? null,
      request.idempotencyKey,
      adjustmentHash(request),
    ],
  );
  return toMovement(rows[0]);
}
