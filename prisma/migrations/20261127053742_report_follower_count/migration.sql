-- AlterTable
ALTER TABLE "Report" ADD COLUMN     "followerCount" INTEGER NOT NULL DEFAULT 0;


-- Reports filed before the column existed start from their followers as they are.
UPDATE "Report" r SET "followerCount" = f."count" FROM (SELECT "reportId", COUNT(*)::int AS "count" FROM "ReportFollower" GROUP BY "reportId") f WHERE f."reportId" = r."id";
