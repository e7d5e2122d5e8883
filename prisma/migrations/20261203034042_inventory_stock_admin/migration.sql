-- CreateEnum
CREATE TYPE "stock_movement_kind" AS ENUM ('OPENING_BALANCE', 'CREATED', 'ADJUSTMENT', 'RESERVATION', 'RELEASE');

-- CreateEnum
CREATE TYPE "stock_adjustment_reason" AS ENUM ('RECEIVED', 'COUNT_CORRECTION', 'DAMAGED', 'RETURNED');

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "active" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "low_stock_threshold" INTEGER;

-- CreateTable
CREATE TABLE "stock_movements" (
    "id" BIGSERIAL NOT NULL,
    "product_id" VARCHAR(32) NOT NULL,
    "kind" "stock_movement_kind" NOT NULL,
    "delta" INTEGER NOT NULL,
    "quantity_after" INTEGER NOT NULL,
    "reason" "stock_adjustment_reason",
    "actor" VARCHAR(32),
    "reference" TEXT,
    "idempotency_key" TEXT,
    "request_hash" TEXT,
    "order_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_movements_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inventory_outbox_events" (
    "id" BIGSERIAL NOT NULL,
    "aggregate_id" VARCHAR(32) NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "inventory_outbox_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "stock_movements_product_id_id_idx" ON "stock_movements"("product_id", "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "stock_movements_product_id_idempotency_key_key" ON "stock_movements"("product_id", "idempotency_key");

-- CreateIndex
CREATE INDEX "inventory_outbox_events_published_at_id_idx" ON "inventory_outbox_events"("published_at", "id");

-- Hand-written (Prisma cannot express CHECK constraints or data). Keep when re-diffing.
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_quantity_after_nonnegative" CHECK ("quantity_after" >= 0);
ALTER TABLE "products" ADD CONSTRAINT "products_low_stock_threshold_nonnegative" CHECK ("low_stock_threshold" >= 0);
-- The log begins with every product's stock as it stands, so its deltas add up to the stock from here on.
INSERT INTO "stock_movements" ("product_id", "kind", "delta", "quantity_after")
SELECT "id", 'OPENING_BALANCE', "available_quantity", "available_quantity" FROM "products" ORDER BY "id";
