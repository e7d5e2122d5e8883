/**
 * Idempotent seed: products PROD-0001..PROD-<SEED_PRODUCTS> (default 1000) and customers CUST01..CUST50
 * (CUST50 blocked). Deterministic names/prices/stock. One INSERT per table (unnest + ON CONFLICT).
 *
 *   npm run db:seed                 # insert missing rows, leave existing rows (and their stock) alone
 *   npm run db:seed -- --reset      # also reset existing seed rows to their deterministic values
 */
import { createPrismaClient } from '@orderline/db';

const ADJ = ['Red', 'Blue', 'Green', 'Steel', 'Oak', 'Compact', 'Deluxe', 'Eco', 'Pro', 'Mini'];
const NOUN = ['Widget', 'Gadget', 'Bolt', 'Lamp', 'Chair', 'Kettle', 'Cable', 'Mug', 'Brush', 'Pump'];

function seedProducts(count: number) {
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    const cents = ((i * 7919) % 99_900) + 100; // 1.00 .. 999.99, varied
    return {
      id: `PROD-${String(i).padStart(4, '0')}`,
      name: `${ADJ[i % ADJ.length]} ${NOUN[Math.floor(i / ADJ.length) % NOUN.length]} ${i}`,
      description: `Seed product #${i}`,
      unitPrice: (cents / 100).toFixed(2), // string -> exact NUMERIC(12,2)
      availableQuantity: 100 + ((i * 37) % 901), // 100 .. 1000
    };
  });
}

function seedCustomers() {
  return Array.from({ length: 50 }, (_, k) => {
    const n = String(k + 1).padStart(2, '0');
    return { id: `CUST${n}`, name: `Customer ${n}`, email: `cust${n}@example.com`, blocked: k + 1 === 50 };
  });
}

async function main(): Promise<void> {
  const reset = process.argv.includes('--reset');
  const count = Number(process.env.SEED_PRODUCTS ?? 1000);
  const prisma = createPrismaClient(process.env.DATABASE_URL ?? 'postgresql://orderline:orderline@127.0.0.1:5432/orderline');
  const t0 = Date.now();
  try {
    const products = seedProducts(count);
    const customers = seedCustomers();
    const onConflictProducts = reset
      ? `DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, unit_price = EXCLUDED.unit_price,
                       available_quantity = EXCLUDED.available_quantity, updated_at = now()`
      : `DO NOTHING`;
    const onConflictCustomers = reset
      ? `DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, blocked = EXCLUDED.blocked, updated_at = now()`
      : `DO NOTHING`;

    // $executeRawUnsafe only because the ON CONFLICT clause is chosen above; all values are bound ($1..$n).
    // Every stock written here is logged (stock_movements), so a product's log adds up to its stock:
    // a new product's stock as CREATED, a reset's change as a COUNT_CORRECTION adjustment.
    const [{ written }] = await prisma.$queryRawUnsafe<{ written: number }[]>(
      `WITH before AS (SELECT id, available_quantity FROM products WHERE id = ANY($1::varchar[])),
       upserted AS (
         INSERT INTO products (id, name, description, unit_price, available_quantity)
         SELECT * FROM unnest($1::varchar[], $2::text[], $3::text[], $4::numeric[], $5::int[])
         ON CONFLICT (id) ${onConflictProducts}
         RETURNING id, available_quantity),
       logged AS (
         INSERT INTO stock_movements (product_id, kind, delta, quantity_after, reason, actor)
         SELECT u.id, CASE WHEN b.id IS NULL THEN 'CREATED' ELSE 'ADJUSTMENT' END::stock_movement_kind,
                u.available_quantity - coalesce(b.available_quantity, 0), u.available_quantity,
                CASE WHEN b.id IS NULL THEN NULL ELSE 'COUNT_CORRECTION' END::stock_adjustment_reason, 'SEED'
         FROM upserted u LEFT JOIN before b ON b.id = u.id
         WHERE b.id IS NULL OR u.available_quantity <> b.available_quantity
         ORDER BY u.id)
       SELECT count(*)::int AS written FROM upserted`,
      products.map((x) => x.id),
      products.map((x) => x.name),
      products.map((x) => x.description),
      products.map((x) => x.unitPrice),
      products.map((x) => x.availableQuantity),
    );
    const p = written;
    const c = await prisma.$executeRawUnsafe(
      `INSERT INTO customers (id, name, email, blocked)
       SELECT * FROM unnest($1::varchar[], $2::text[], $3::text[], $4::bool[])
       ON CONFLICT (id) ${onConflictCustomers}`,
      customers.map((x) => x.id),
      customers.map((x) => x.name),
      customers.map((x) => x.email),
      customers.map((x) => x.blocked),
    );
    console.log(
      `seed: products ${p}/${products.length} written, customers ${c}/${customers.length} written${reset ? ' (reset)' : ''} in ${Date.now() - t0} ms`,
    );
  } finally {
    await prisma.$disconnect();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
