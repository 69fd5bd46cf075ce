-- CreateEnum
CREATE TYPE "StaffRole" AS ENUM ('ADMIN', 'DISTRICT_STAFF', 'ACADEMY_STAFF');

-- CreateTable
CREATE TABLE "StaffMember" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "chatUserId" TEXT NOT NULL,
    "role" "StaffRole" NOT NULL,
    "label" TEXT NOT NULL,
    "districtCodes" TEXT[],
    "roadCommitteeCodes" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "StaffMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StaffInvite" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "role" "StaffRole" NOT NULL,
    "label" TEXT NOT NULL,
    "districtCodes" TEXT[],
    "roadCommitteeCodes" TEXT[],
    "createdByStaffId" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "redeemedAt" TIMESTAMP(3),
    "redeemedByStaffId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StaffInvite_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "StaffMember_townCode_chatUserId_key" ON "StaffMember"("townCode", "chatUserId");

-- CreateIndex
CREATE UNIQUE INDEX "StaffInvite_codeHash_key" ON "StaffInvite"("codeHash");

-- AddForeignKey
ALTER TABLE "StaffMember" ADD CONSTRAINT "StaffMember_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StaffMember" ADD CONSTRAINT "StaffMember_chatUserId_fkey" FOREIGN KEY ("chatUserId") REFERENCES "ChatUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StaffInvite" ADD CONSTRAINT "StaffInvite_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

