-- CreateTable
CREATE TABLE "StaffSignInLink" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "staffId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StaffSignInLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StaffWebSession" (
    "idHash" TEXT NOT NULL,
    "staffId" TEXT NOT NULL,
    "csrfToken" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "endsAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StaffWebSession_pkey" PRIMARY KEY ("idHash")
);

-- CreateIndex
CREATE UNIQUE INDEX "StaffSignInLink_tokenHash_key" ON "StaffSignInLink"("tokenHash");

-- CreateIndex
CREATE INDEX "StaffSignInLink_expiresAt_idx" ON "StaffSignInLink"("expiresAt");

-- CreateIndex
CREATE INDEX "StaffWebSession_staffId_idx" ON "StaffWebSession"("staffId");

-- CreateIndex
CREATE INDEX "StaffWebSession_endsAt_idx" ON "StaffWebSession"("endsAt");

-- AddForeignKey
ALTER TABLE "StaffSignInLink" ADD CONSTRAINT "StaffSignInLink_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StaffSignInLink" ADD CONSTRAINT "StaffSignInLink_staffId_fkey" FOREIGN KEY ("staffId") REFERENCES "StaffMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StaffWebSession" ADD CONSTRAINT "StaffWebSession_staffId_fkey" FOREIGN KEY ("staffId") REFERENCES "StaffMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

