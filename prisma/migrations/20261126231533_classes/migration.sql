-- CreateEnum
CREATE TYPE "EnrolmentStatus" AS ENUM ('SEATED', 'WAITLISTED', 'CANCELLED');

-- CreateTable
CREATE TABLE "Course" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "nameEn" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "descriptionEn" TEXT NOT NULL,
    "sortOrder" INTEGER NOT NULL,

    CONSTRAINT "Course_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Cohort" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "courseId" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "titleEn" TEXT NOT NULL,
    "capacity" INTEGER NOT NULL,
    "enrolmentOpensAt" TIMESTAMP(3) NOT NULL,
    "enrolmentClosesAt" TIMESTAMP(3) NOT NULL,
    "eligibility" TEXT NOT NULL,
    "eligibilityEn" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "locationEn" TEXT NOT NULL,
    "neighbourhoodCodes" TEXT[],
    "completionShare" DOUBLE PRECISION NOT NULL DEFAULT 0.75,
    "queueCounter" INTEGER NOT NULL DEFAULT 0,
    "sortOrder" INTEGER NOT NULL,

    CONSTRAINT "Cohort_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CohortSession" (
    "id" TEXT NOT NULL,
    "cohortId" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "startsAt" TIMESTAMP(3) NOT NULL,
    "endsAt" TIMESTAMP(3) NOT NULL,
    "place" TEXT NOT NULL,
    "placeEn" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "topicEn" TEXT NOT NULL,
    "lecturerRole" TEXT NOT NULL,
    "lecturerRoleEn" TEXT NOT NULL,

    CONSTRAINT "CohortSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Enrolment" (
    "id" TEXT NOT NULL,
    "cohortId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "mobile" TEXT NOT NULL,
    "neighbourhoodCode" TEXT NOT NULL,
    "skills" TEXT[],
    "status" "EnrolmentStatus" NOT NULL,
    "queueNumber" INTEGER NOT NULL,
    "checkInCode" TEXT NOT NULL,
    "privacyAcceptedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "seatedAt" TIMESTAMP(3),
    "cancelledAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "Enrolment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Attendance" (
    "id" TEXT NOT NULL,
    "enrolmentId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "checkedInAt" TIMESTAMP(3) NOT NULL,
    "staffId" TEXT NOT NULL,

    CONSTRAINT "Attendance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TalentProfile" (
    "id" TEXT NOT NULL,
    "townCode" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "mobile" TEXT NOT NULL,
    "neighbourhoodCode" TEXT NOT NULL,
    "skills" TEXT[],
    "availability" TEXT NOT NULL,
    "consentAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TalentProfile_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Course_townCode_code_key" ON "Course"("townCode", "code");

-- CreateIndex
CREATE UNIQUE INDEX "Cohort_townCode_code_key" ON "Cohort"("townCode", "code");

-- CreateIndex
CREATE INDEX "CohortSession_startsAt_idx" ON "CohortSession"("startsAt");

-- CreateIndex
CREATE UNIQUE INDEX "CohortSession_cohortId_position_key" ON "CohortSession"("cohortId", "position");

-- CreateIndex
CREATE INDEX "Enrolment_cohortId_status_queueNumber_idx" ON "Enrolment"("cohortId", "status", "queueNumber");

-- CreateIndex
CREATE UNIQUE INDEX "Enrolment_cohortId_userId_key" ON "Enrolment"("cohortId", "userId");

-- CreateIndex
CREATE UNIQUE INDEX "Enrolment_cohortId_checkInCode_key" ON "Enrolment"("cohortId", "checkInCode");

-- CreateIndex
CREATE UNIQUE INDEX "Attendance_enrolmentId_sessionId_key" ON "Attendance"("enrolmentId", "sessionId");

-- CreateIndex
CREATE UNIQUE INDEX "TalentProfile_townCode_userId_key" ON "TalentProfile"("townCode", "userId");

-- AddForeignKey
ALTER TABLE "Course" ADD CONSTRAINT "Course_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Cohort" ADD CONSTRAINT "Cohort_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Cohort" ADD CONSTRAINT "Cohort_courseId_fkey" FOREIGN KEY ("courseId") REFERENCES "Course"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CohortSession" ADD CONSTRAINT "CohortSession_cohortId_fkey" FOREIGN KEY ("cohortId") REFERENCES "Cohort"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Enrolment" ADD CONSTRAINT "Enrolment_cohortId_fkey" FOREIGN KEY ("cohortId") REFERENCES "Cohort"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Enrolment" ADD CONSTRAINT "Enrolment_userId_fkey" FOREIGN KEY ("userId") REFERENCES "ChatUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Attendance" ADD CONSTRAINT "Attendance_enrolmentId_fkey" FOREIGN KEY ("enrolmentId") REFERENCES "Enrolment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Attendance" ADD CONSTRAINT "Attendance_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "CohortSession"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TalentProfile" ADD CONSTRAINT "TalentProfile_townCode_fkey" FOREIGN KEY ("townCode") REFERENCES "Town"("code") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TalentProfile" ADD CONSTRAINT "TalentProfile_userId_fkey" FOREIGN KEY ("userId") REFERENCES "ChatUser"("id") ON DELETE CASCADE ON UPDATE CASCADE;

