-- AlterTable
ALTER TABLE "ReportEvent" ADD COLUMN     "fromRoute" JSONB,
ADD COLUMN     "toRoute" JSONB;

