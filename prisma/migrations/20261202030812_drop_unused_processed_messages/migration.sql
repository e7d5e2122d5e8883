-- DropTable
DROP TABLE "processed_messages";
