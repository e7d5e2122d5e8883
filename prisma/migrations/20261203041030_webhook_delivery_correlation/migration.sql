-- AlterTable
ALTER TABLE "webhook_deliveries" ADD COLUMN     "correlation_id" TEXT;
