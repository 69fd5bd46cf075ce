-- AlterTable
ALTER TABLE "Town" ADD COLUMN     "referencePrefix" TEXT NOT NULL DEFAULT 'WJ';

