-- CreateIndex
CREATE INDEX "orders_customer_id_status_created_at_id_idx" ON "orders"("customer_id", "status", "created_at" DESC, "id" DESC);
