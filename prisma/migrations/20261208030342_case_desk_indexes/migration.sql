-- CreateIndex
CREATE INDEX "Report_townCode_createdAt_idx" ON "Report"("townCode", "createdAt");

-- CreateIndex
CREATE INDEX "Report_townCode_updatedAt_idx" ON "Report"("townCode", "updatedAt");

