-- AlterEnum
ALTER TYPE "ActorKind" ADD VALUE 'MERCHANT';

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "ReportEventType" ADD VALUE 'MERCHANT_RECTIFIED';
ALTER TYPE "ReportEventType" ADD VALUE 'MERCHANT_DISPUTED';

-- AlterTable
ALTER TABLE "Merchant" ADD COLUMN     "address" TEXT,
ADD COLUMN     "contactName" TEXT,
ADD COLUMN     "contactPhone" TEXT,
ADD COLUMN     "licenceNumber" TEXT,
ADD COLUMN     "managedInChat" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "CompactVersion" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "titleEn" TEXT NOT NULL,
    "clauses" JSONB NOT NULL,
    "contentHash" TEXT NOT NULL,
    "effectiveFrom" TIMESTAMP(3) NOT NULL,
    "publishedByStaffId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CompactVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MerchantInvite" (
    "id" TEXT NOT NULL,
    "merchantId" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "createdByStaffId" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "redeemedAt" TIMESTAMP(3),
    "redeemedByChatUserId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MerchantInvite_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MerchantAccount" (
    "id" TEXT NOT NULL,
    "merchantId" TEXT NOT NULL,
    "chatUserId" TEXT NOT NULL,
    "signerName" TEXT,
    "boundAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "MerchantAccount_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CompactAcknowledgement" (
    "id" TEXT NOT NULL,
    "merchantId" TEXT NOT NULL,
    "compactVersionId" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "chatUserId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "channelUserId" TEXT NOT NULL,
    "signerName" TEXT NOT NULL,
    "acknowledgedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CompactAcknowledgement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CompactVersion_townCode_version_key" ON "CompactVersion"("townCode", "version");

-- CreateIndex
CREATE UNIQUE INDEX "CompactVersion_townCode_contentHash_key" ON "CompactVersion"("townCode", "contentHash");

-- CreateIndex
CREATE UNIQUE INDEX "MerchantInvite_codeHash_key" ON "MerchantInvite"("codeHash");

-- CreateIndex
CREATE INDEX "MerchantInvite_merchantId_idx" ON "MerchantInvite"("merchantId");

-- CreateIndex
CREATE INDEX "MerchantAccount_chatUserId_idx" ON "MerchantAccount"("chatUserId");

-- CreateIndex
CREATE UNIQUE INDEX "MerchantAccount_merchantId_chatUserId_key" ON "MerchantAccount"("merchantId", "chatUserId");

-- CreateIndex
CREATE INDEX "CompactAcknowledgement_merchantId_acknowledgedAt_idx" ON "CompactAcknowledgement"("merchantId", "acknowledgedAt");

-- CreateIndex
CREATE INDEX "CompactAcknowledgement_compactVersionId_idx" ON "CompactAcknowledgement"("compactVersionId");

-- AddForeignKey
ALTER TABLE "CompactVersion" ADD CONSTRAINT "CompactVersion_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MerchantInvite" ADD CONSTRAINT "MerchantInvite_merchantId_fkey" FOREIGN KEY ("merchantId") REFERENCES "Merchant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MerchantAccount" ADD CONSTRAINT "MerchantAccount_merchantId_fkey" FOREIGN KEY ("merchantId") REFERENCES "Merchant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MerchantAccount" ADD CONSTRAINT "MerchantAccount_chatUserId_fkey" FOREIGN KEY ("chatUserId") REFERENCES "ChatUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CompactAcknowledgement" ADD CONSTRAINT "CompactAcknowledgement_merchantId_fkey" FOREIGN KEY ("merchantId") REFERENCES "Merchant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CompactAcknowledgement" ADD CONSTRAINT "CompactAcknowledgement_compactVersionId_fkey" FOREIGN KEY ("compactVersionId") REFERENCES "CompactVersion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

