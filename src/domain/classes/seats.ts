import { epochMillis, sql, type Sql } from "../../db/sql.ts";
import type { ChatUser, Cohort, CohortSession, Course, Enrolment } from "../../generated/prisma/client.ts";
import { queueOutbox } from "../outbox/queue.ts";
import type { Bilingual } from "../grid/index.ts";

/*
 * Seat allocation shared by the classes service and the town-data import: both
 * change who sits in a cohort, so both take the same row lock and promote from
 * the waitlist the same way.
 */

/** Outbox kind telling a waitlisted resident they now have a seat. */
export const CLASS_PROMOTED_KIND = "class.promoted";
/** Outbox kind reminding a seated resident of a coming session. */
export const CLASS_REMINDER_KIND = "class.reminder";
/** Outbox kind telling everyone seated that a session moved (time or place); payload as a reminder's. */
export const CLASS_CHANGED_KIND = "class.changed";
/** Outbox kind carrying a staff message to everyone seated in a cohort. */
export const CLASS_BROADCAST_KIND = "class.broadcast";

/** A session as residents are told about it. */
export interface SessionInfo {
  id: string;
  /** 1-based, in time order. */
  index: number;
  startsAt: Date;
  endsAt: Date;
  place: Bilingual;
  topic: Bilingual;
  lecturerRole: Bilingual;
}

/** The payload of a {@link CLASS_PROMOTED_KIND} row: the recipient's new seat. */
export interface ClassPromotedPayload {
  cohortCode: string;
  course: Bilingual;
  cohort: Bilingual;
  checkInCode: string;
  /** ISO 8601 start of the next session not yet started, or null when none is left. */
  nextSessionStartsAt: string | null;
  nextSessionPlace: Bilingual | null;
  locale: "zh" | "en";
}

/**
 * Takes the cohort's row lock until the transaction ends. Every change to who
 * is seated (sign-up, cancellation, capacity, import) takes it first, so seat
 * counts read afterwards stay true until commit, on PostgreSQL and PGlite alike.
 */
export async function lockCohort(tx: Sql, cohortId: string): Promise<void> {
  await tx.query(sql`SELECT "id" FROM "Cohort" WHERE "id" = ${cohortId} FOR UPDATE`);
}

/** A cohort's capacity and how many residents sit in it and wait for it, as the database has them now. */
export interface SeatFigures {
  cohortId: string;
  capacity: number;
  seated: number;
  waiting: number;
}

// COUNT(…) FILTER counts both statuses in one pass; ::int keeps the counts plain numbers on every driver.
const SEAT_FIGURES = sql`
  SELECT c."id" AS "cohortId", c."capacity",
    (COUNT(*) FILTER (WHERE e."status" = 'SEATED'))::int AS "seated",
    (COUNT(*) FILTER (WHERE e."status" = 'WAITLISTED'))::int AS "waiting"
  FROM "Cohort" c LEFT JOIN "Enrolment" e ON e."cohortId" = c."id"`;

/**
 * Seat figures of one cohort (`cohortId`) or of a town's cohorts whose
 * enrolment closes after `closesAfter`, in one query however many cohorts.
 * Never cached: seats change with every sign-up, and capacity with staff edits
 * and imports. A caller deciding a seat holds {@link lockCohort} first, and
 * this runs as a statement of its own after it, so the counts include every
 * seat committed before the lock was granted.
 */
export async function seatFigures(db: Sql, scope: { cohortId: string } | { townCode: string; closesAfter: Date }): Promise<SeatFigures[]> {
  return "cohortId" in scope
    ? db.query<SeatFigures>(sql`${SEAT_FIGURES} WHERE c."id" = ${scope.cohortId} GROUP BY c."id"`)
    : db.query<SeatFigures>(
        sql`${SEAT_FIGURES} WHERE c."townCode" = ${scope.townCode} AND c."enrolmentClosesAt" > ${scope.closesAfter} GROUP BY c."id"`,
      );
}

/**
 * A sign-up's arrival number (the cohort's queue counter moved on) and the
 * cohort's {@link SeatFigures}, in one statement. The caller holds
 * {@link lockCohort}, so the figures include every seat committed before the
 * lock was granted and every waitlisted enrolment has a lower number.
 */
export async function takeQueueNumber(tx: Sql, cohortId: string): Promise<SeatFigures & { queueNumber: number }> {
  const [row] = await tx.query<SeatFigures & { queueNumber: number }>(
    sql`WITH figures AS (${SEAT_FIGURES} WHERE c."id" = ${cohortId} GROUP BY c."id"),
       counter AS (UPDATE "Cohort" SET "queueCounter" = "queueCounter" + 1 WHERE "id" = ${cohortId} RETURNING "queueCounter")
     SELECT figures.*, counter."queueCounter" AS "queueNumber" FROM figures, counter`,
  );
  return row!;
}

/** The locale outbox rows are written in for a chat user. */
export function localeOf(user: { locale: string }): "zh" | "en" {
  return user.locale === "en" ? "en" : "zh";
}

const sessionPlace = (s: { place: string; placeEn: string }): Bilingual => ({ zh: s.place, en: s.placeEn });

/** A waitlisted resident just seated, with where to tell them. */
type PromotedRow = Pick<Enrolment, "id" | "queueNumber" | "checkInCode"> & Pick<ChatUser, "channel" | "chatId" | "locale">;

/** The cohort as a promotion message names it, with its next session not yet started (null columns when none is left). */
type PromotionCohortRow = Pick<Cohort, "code" | "title" | "titleEn"> & {
  courseName: Course["name"];
  courseNameEn: Course["nameEn"];
  /** Epoch milliseconds: this statement also runs inside Prisma transactions (see epochMillis). */
  startsAt: number | null;
  place: CohortSession["place"] | null;
  placeEn: CohortSession["placeEn"] | null;
};

/**
 * Seats waitlisted residents, first come first served, while the cohort has
 * free seats, and queues a {@link CLASS_PROMOTED_KIND} row for each in the
 * same transaction. The caller holds {@link lockCohort}. The dedupe key names
 * the enrolment and its arrival number, so a resident who cancels, signs up
 * again and is promoted again is told again, but one promotion only once.
 *
 * @returns the ids of the enrolments seated now, in waitlist order
 */
export async function fillSeats(tx: Sql, cohortId: string, now: Date): Promise<string[]> {
  const [figures] = await seatFigures(tx, { cohortId });
  const free = figures ? figures.capacity - figures.seated : 0;
  // Most calls find the cohort full or nobody waiting: then nothing else is read.
  if (free <= 0 || figures!.waiting === 0) return [];
  const promoted = await tx.query<PromotedRow>(
    sql`WITH seated AS (
       UPDATE "Enrolment" SET "status" = 'SEATED', "seatedAt" = ${now}
       WHERE "id" IN (SELECT "id" FROM "Enrolment" WHERE "cohortId" = ${cohortId} AND "status" = 'WAITLISTED' ORDER BY "queueNumber" LIMIT ${free})
       RETURNING "id", "queueNumber", "checkInCode", "userId")
     SELECT s."id", s."queueNumber", s."checkInCode", u."channel", u."chatId", u."locale"
     FROM seated s JOIN "ChatUser" u ON u."id" = s."userId" ORDER BY s."queueNumber"`,
  );
  const [cohort] = await tx.query<PromotionCohortRow>(
    sql`SELECT c."code", c."title", c."titleEn", k."name" AS "courseName", k."nameEn" AS "courseNameEn", ${epochMillis(`s."startsAt"`)} AS "startsAt", s."place", s."placeEn"
     FROM "Cohort" c JOIN "Course" k ON k."id" = c."courseId"
     LEFT JOIN LATERAL (SELECT "startsAt", "place", "placeEn" FROM "CohortSession" WHERE "cohortId" = c."id" AND "startsAt" > ${now} ORDER BY "position" LIMIT 1) s ON true
     WHERE c."id" = ${cohortId}`,
  );
  const rows = promoted.map((enrolment) => {
    const payload: ClassPromotedPayload = {
      cohortCode: cohort!.code,
      course: { zh: cohort!.courseName, en: cohort!.courseNameEn },
      cohort: { zh: cohort!.title, en: cohort!.titleEn },
      checkInCode: enrolment.checkInCode,
      nextSessionStartsAt: cohort!.startsAt !== null ? new Date(cohort!.startsAt).toISOString() : null,
      nextSessionPlace: cohort!.startsAt !== null ? sessionPlace({ place: cohort!.place!, placeEn: cohort!.placeEn! }) : null,
      locale: localeOf(enrolment),
    };
    return {
      dedupeKey: `class-promoted:${enrolment.id}:${enrolment.queueNumber}`,
      kind: CLASS_PROMOTED_KIND,
      channel: enrolment.channel,
      chatId: enrolment.chatId,
      payload,
    };
  });
  await queueOutbox(tx, rows, now);
  return promoted.map((e) => e.id);
}

/** A stored session as {@link SessionInfo}. */
export function sessionInfo(s: {
  id: string;
  position: number;
  startsAt: Date;
  endsAt: Date;
  place: string;
  placeEn: string;
  topic: string;
  topicEn: string;
  lecturerRole: string;
  lecturerRoleEn: string;
}): SessionInfo {
  return {
    id: s.id,
    index: s.position,
    startsAt: s.startsAt,
    endsAt: s.endsAt,
    place: sessionPlace(s),
    topic: { zh: s.topic, en: s.topicEn },
    lecturerRole: { zh: s.lecturerRole, en: s.lecturerRoleEn },
  };
}
