-- AlterTable
ALTER TABLE "Media" ADD COLUMN     "uploadedBy" TEXT,
ADD COLUMN     "uploadedFrom" TEXT;

-- CreateIndex
CREATE INDEX "Media_createdAt_idx" ON "Media"("createdAt");

-- CreateIndex
CREATE INDEX "ReportEvent_photoId_idx" ON "ReportEvent"("photoId");

-- CreateIndex
CREATE INDEX "ReportPhoto_mediaId_idx" ON "ReportPhoto"("mediaId");

