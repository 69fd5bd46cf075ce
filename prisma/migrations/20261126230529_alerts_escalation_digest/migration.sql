-- AlterEnum
ALTER TYPE "OutboxStatus" ADD VALUE 'MERGED';

-- AlterTable
ALTER TABLE "AlertDestination" ADD COLUMN     "escalation" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "managedInChat" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "deliveredRef" TEXT,
ADD COLUMN     "mergedIntoId" TEXT,
ADD COLUMN     "reportId" TEXT;

-- AlterTable
ALTER TABLE "Report" ADD COLUMN     "escalatedAt" TIMESTAMP(3),
ADD COLUMN     "overdueRemindedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "ReportCategory" ADD COLUMN     "deadlineWorkingDays" INTEGER NOT NULL DEFAULT 3,
ADD COLUMN     "escalateAfterMinutes" INTEGER NOT NULL DEFAULT 120;

-- AlterTable
ALTER TABLE "Town" ADD COLUMN     "extraWorkingDays" TEXT[],
ADD COLUMN     "holidays" TEXT[];

-- CreateIndex
CREATE INDEX "OutboxMessage_reportId_idx" ON "OutboxMessage"("reportId");

