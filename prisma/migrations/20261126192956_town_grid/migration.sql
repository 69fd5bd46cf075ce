-- CreateEnum
CREATE TYPE "CommitteeRole" AS ENUM ('DIRECTOR', 'DEPUTY_DIRECTOR', 'ENFORCEMENT', 'MANAGEMENT');

-- CreateEnum
CREATE TYPE "HouseNumberParity" AS ENUM ('ALL', 'ODD', 'EVEN');

-- CreateTable
CREATE TABLE "Town" (
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "officeName" TEXT NOT NULL,
    "officeNameEn" TEXT NOT NULL,
    "officePhone" TEXT NOT NULL,
    "officeHours" TEXT NOT NULL,
    "officeHoursEn" TEXT NOT NULL,
    "officeAddress" TEXT NOT NULL,
    "isSample" BOOLEAN NOT NULL,
    "dataHash" TEXT NOT NULL,
    "importedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Town_pkey" PRIMARY KEY ("code")
);

-- CreateTable
CREATE TABLE "District" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "committeeName" TEXT NOT NULL,
    "committeeNameEn" TEXT NOT NULL,
    "officePhone" TEXT NOT NULL,
    "officeHours" TEXT NOT NULL,
    "officeHoursEn" TEXT NOT NULL,
    "officeAddress" TEXT NOT NULL,
    "boundary" JSONB,
    "sortOrder" INTEGER NOT NULL,

    CONSTRAINT "District_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CommitteeMember" (
    "id" TEXT NOT NULL,
    "districtId" TEXT NOT NULL,
    "role" "CommitteeRole" NOT NULL,
    "title" TEXT NOT NULL,
    "titleEn" TEXT NOT NULL,
    "personName" TEXT,
    "contact" TEXT,
    "sortOrder" INTEGER NOT NULL,

    CONSTRAINT "CommitteeMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Neighbourhood" (
    "id" TEXT NOT NULL,
    "districtId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "aliases" TEXT[],
    "committeeName" TEXT NOT NULL,
    "committeeNameEn" TEXT NOT NULL,
    "committeePhone" TEXT NOT NULL,
    "committeeAddress" TEXT NOT NULL,
    "partyOrganisation" TEXT,

    CONSTRAINT "Neighbourhood_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoadCommittee" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "officePhone" TEXT NOT NULL,
    "officeAddress" TEXT NOT NULL,

    CONSTRAINT "RoadCommittee_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Road" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "aliases" TEXT[],
    "roadCommitteeId" TEXT NOT NULL,

    CONSTRAINT "Road_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoadSegment" (
    "id" TEXT NOT NULL,
    "roadId" TEXT NOT NULL,
    "districtId" TEXT NOT NULL,
    "neighbourhoodId" TEXT,
    "fromNumber" INTEGER NOT NULL,
    "toNumber" INTEGER NOT NULL,
    "parity" "HouseNumberParity" NOT NULL,

    CONSTRAINT "RoadSegment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "District_townCode_code_key" ON "District"("townCode", "code");

-- CreateIndex
CREATE UNIQUE INDEX "Neighbourhood_districtId_code_key" ON "Neighbourhood"("districtId", "code");

-- CreateIndex
CREATE UNIQUE INDEX "RoadCommittee_townCode_code_key" ON "RoadCommittee"("townCode", "code");

-- CreateIndex
CREATE UNIQUE INDEX "Road_townCode_code_key" ON "Road"("townCode", "code");

-- AddForeignKey
ALTER TABLE "District" ADD CONSTRAINT "District_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CommitteeMember" ADD CONSTRAINT "CommitteeMember_districtId_fkey" FOREIGN KEY ("districtId") REFERENCES "District"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Neighbourhood" ADD CONSTRAINT "Neighbourhood_districtId_fkey" FOREIGN KEY ("districtId") REFERENCES "District"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoadCommittee" ADD CONSTRAINT "RoadCommittee_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Road" ADD CONSTRAINT "Road_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Road" ADD CONSTRAINT "Road_roadCommitteeId_fkey" FOREIGN KEY ("roadCommitteeId") REFERENCES "RoadCommittee"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoadSegment" ADD CONSTRAINT "RoadSegment_roadId_fkey" FOREIGN KEY ("roadId") REFERENCES "Road"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoadSegment" ADD CONSTRAINT "RoadSegment_districtId_fkey" FOREIGN KEY ("districtId") REFERENCES "District"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoadSegment" ADD CONSTRAINT "RoadSegment_neighbourhoodId_fkey" FOREIGN KEY ("neighbourhoodId") REFERENCES "Neighbourhood"("id") ON DELETE SET NULL ON UPDATE CASCADE;
