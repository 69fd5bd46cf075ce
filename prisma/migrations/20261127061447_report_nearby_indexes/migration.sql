-- CreateIndex
CREATE INDEX "Report_roadId_categoryId_status_createdAt_idx" ON "Report"("roadId", "categoryId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "Report_neighbourhoodId_categoryId_status_createdAt_idx" ON "Report"("neighbourhoodId", "categoryId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "Report_categoryId_status_latitude_idx" ON "Report"("categoryId", "status", "latitude");

