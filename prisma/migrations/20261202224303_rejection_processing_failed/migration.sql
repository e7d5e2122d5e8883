-- AlterEnum
ALTER TYPE "rejection_reason" ADD VALUE 'PROCESSING_FAILED';
