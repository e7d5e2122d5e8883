-- CreateTable
CREATE TABLE "outbox_relay_leases" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "outbox_relay_leases_pkey" PRIMARY KEY ("name")
);
