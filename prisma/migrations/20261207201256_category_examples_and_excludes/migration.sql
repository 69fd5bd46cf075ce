-- AlterTable
ALTER TABLE "ReportCategory" ADD COLUMN     "examples" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "excludes" TEXT[] DEFAULT ARRAY[]::TEXT[];

