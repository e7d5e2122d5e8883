-- AlterEnum
ALTER TYPE "rejection_reason" ADD VALUE 'TOO_MANY_OPEN_ORDERS';
