-- CreateTable
CREATE TABLE "AlertDestination" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "locale" TEXT NOT NULL DEFAULT 'zh',
    "districtCodes" TEXT[],
    "roadCommitteeCodes" TEXT[],
    "categoryCodes" TEXT[],

    CONSTRAINT "AlertDestination_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AlertDestination_townCode_code_key" ON "AlertDestination"("townCode", "code");

-- AddForeignKey
ALTER TABLE "AlertDestination" ADD CONSTRAINT "AlertDestination_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

