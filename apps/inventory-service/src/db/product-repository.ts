import {
  ProductCreated,
  ProductUpdated,
  countThatFit,
  type ManagedProduct,
  type NewProduct,
  type Product,
  type ProductChanges,
} from '@orderline/contracts';
import { inTransaction, poolOf, type PrismaClient } from '@orderline/db';
import { thresholdOf } from '../domain/stock-levels';
import { inventoryEvent, insertInventoryEvents } from './inventory-outbox';

const columns = {
  id: true,
  name: true,
  description: true,
  unitPrice: true,
  availableQuantity: true,
  active: true,
} as const;

type ProductRow = {
  id: string;
  name: string;
  description: string;
  unitPrice: { toFixed(digits: number): string };
  availableQuantity: number;
  active: boolean;
};

const toProduct = (row: ProductRow): Product => ({ ...row, unitPrice: row.unitPrice.toFixed(2) });

/** A products row as plain SQL reads it (`PRODUCT_COLUMNS`). */
interface ProductSqlRow {
  id: string;
  name: string;
  description: string;
  unit_price: string;
  available_quantity: number;
  active: boolean;
  low_stock_threshold: number | null;
}

const PRODUCT_COLUMNS = `id, name, description, unit_price::text AS unit_price, available_quantity, active, low_stock_threshold`;

/** Which column each changeable field is stored in (the only names that reach the SQL text). */
const CHANGE_COLUMNS: Record<keyof ProductChanges, string> = {
  name: 'name',
  description: 'description',
  unitPrice: 'unit_price',
  active: 'active',
  lowStockThreshold: 'low_stock_threshold',
};

export interface ProductRepositoryOptions {
  /** LowStock threshold of products without one of their own (LOW_STOCK_THRESHOLD) */
  lowStockThreshold: number;
  /** called after a transaction that wrote outbox rows has committed (wakes the relay) */
  eventsCommitted?: () => void;
}

/**
 * The catalog: reads (customers see active products only), and the admins' creates and changes,
 * each with its inventory.events event in the same transaction (outbox). A new product's stock is
 * the first row of its stock log (CREATED).
 */
export class ProductRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: ProductRepositoryOptions = { lowStockThreshold: 10 },
  ) {}

  async findById(id: string, { includeInactive = false } = {}): Promise<Product | null> {
    const row = await this.prisma.product.findUnique({ where: { id }, select: columns });
    return row && (row.active || includeInactive) ? toProduct(row) : null;
  }

  /**
   * One page ordered by id, of at most `limit` products and `maxBytes` of JSON (long names and
   * descriptions make shorter pages); the cursor is the last id of the previous page.
   */
  async list(
    limit: number,
    cursor?: string,
    maxBytes = Number.POSITIVE_INFINITY,
    { includeInactive = false } = {},
  ): Promise<{ items: Product[]; nextCursor: string | null }> {
    const rows = await this.prisma.product.findMany({
      select: columns,
      where: { ...(cursor ? { id: { gt: cursor } } : {}), ...(includeInactive ? {} : { active: true }) },
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
    const page = rows.slice(0, limit).map(toProduct);
    const items = page.slice(0, countThatFit(page, maxBytes - 256));
    const more = items.length < page.length || rows.length > limit;
    return { items, nextCursor: more ? items[items.length - 1].id : null };
  }

  /** Creates a product with its CREATED stock row and ProductCreated; null when the id exists (nothing changed). */
  async create(product: NewProduct, actor: string, correlationId: string): Promise<ManagedProduct | null> {
    const created = await inTransaction(poolOf(this.prisma), async (db) => {
      const { rows } = await db.query<ProductSqlRow>(
        `INSERT INTO products (id, name, description, unit_price, available_quantity, low_stock_threshold)
         VALUES ($1, $2, $3, $4::numeric, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING ${PRODUCT_COLUMNS}`,
        [product.id, product.name, product.description, product.unitPrice, product.availableQuantity, product.lowStockThreshold ?? null],
      );
      if (rows.length === 0) return null;
      const managed = this.managed(rows[0]);
      await db.query(`INSERT INTO stock_movements (product_id, kind, delta, quantity_after, actor) VALUES ($1, 'CREATED', $2, $2, $3)`, [
        managed.id,
        managed.availableQuantity,
        actor,
      ]);
      await insertInventoryEvents(db, [inventoryEvent(ProductCreated, managed.id, { product: managed, actor }, correlationId)]);
      return managed;
    });
    if (created) this.options.eventsCommitted?.();
    return created;
  }

  /**
   * Changes the fields `changes` names, with ProductUpdated; null when there is no such product. The
   * UPDATE takes the product's row lock, which reservations take too: a new price applies to every
   * reservation that locks the product after this commits, and to none before.
   */
  async update(productId: string, changes: ProductChanges, actor: string, correlationId: string): Promise<ManagedProduct | null> {
    const fields = (Object.keys(CHANGE_COLUMNS) as (keyof ProductChanges)[]).filter((field) => changes[field] !== undefined);
    const updated = await inTransaction(poolOf(this.prisma), async (db) => {
      const sets = fields.map((field, i) => `${CHANGE_COLUMNS[field]} = $${i + 2}${field === 'unitPrice' ? '::numeric' : ''}`);
      const { rows } = await db.query<ProductSqlRow>(
        `UPDATE products SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 RETURNING ${PRODUCT_COLUMNS}`,
        [productId, ...fields.map((field) => changes[field])],
      );
      if (rows.length === 0) return null;
      const managed = this.managed(rows[0]);
      await insertInventoryEvents(db, [
        inventoryEvent(ProductUpdated, managed.id, { product: managed, changed: fields, actor }, correlationId),
      ]);
      return managed;
    });
    if (updated) this.options.eventsCommitted?.();
    return updated;
  }

  private managed(row: ProductSqlRow): ManagedProduct {
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      unitPrice: row.unit_price, // numeric(12,2) as text: always two places
      availableQuantity: row.available_quantity,
      active: row.active,
      lowStockThreshold: thresholdOf(row.low_stock_threshold, this.options.lowStockThreshold),
    };
  }
}
