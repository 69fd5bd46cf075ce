-- AlterEnum
ALTER TYPE "ReportEventType" ADD VALUE 'CONFIRMED_FIXED';

