import type { ChatUser, Prisma } from "../../generated/prisma/client.ts";
import type { Bilingual } from "../grid/index.ts";

/*
 * Seat allocation shared by the classes service and the town-data import: both
 * change who sits in a cohort, so both take the same row lock and promote from
 * the waitlist the same way.
 */

type Tx = Prisma.TransactionClient;

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
export async function lockCohort(tx: Tx, cohortId: string): Promise<void> {
  await tx.$queryRaw`SELECT "id" FROM "Cohort" WHERE "id" = ${cohortId} FOR UPDATE`;
}

/** A cohort's capacity and how many residents sit in it and wait for it, as the database has them now. */
export interface SeatFigures {
  cohortId: string;
  capacity: number;
  seated: number;
  waiting: number;
}

type SeatFiguresRow = { cohortId: string; capacity: number; seated: number; waiting: number };

/**
 * Seat figures of one cohort (`cohortId`) or of a town's cohorts whose
 * enrolment closes after `closesAfter`, in one query however many cohorts.
 * Never cached: seats change with every sign-up, and capacity with staff edits
 * and imports. A caller deciding a seat holds {@link lockCohort} first, and
 * this runs as a statement of its own after it, so the counts include every
 * seat committed before the lock was granted.
 */
export async function seatFigures(db: Tx, scope: { cohortId: string } | { townCode: string; closesAfter: Date }): Promise<SeatFigures[]> {
  // COUNT(…) FILTER counts both statuses in one pass; ::int keeps the counts plain numbers on both drivers.
  return "cohortId" in scope
    ? db.$queryRaw<SeatFiguresRow[]>`
        SELECT c."id" AS "cohortId", c."capacity",
          (COUNT(e."id") FILTER (WHERE e."status" = 'SEATED'))::int AS "seated",
          (COUNT(e."id") FILTER (WHERE e."status" = 'WAITLISTED'))::int AS "waiting"
        FROM "Cohort" c LEFT JOIN "Enrolment" e ON e."cohortId" = c."id"
        WHERE c."id" = ${scope.cohortId}
        GROUP BY c."id"`
    : db.$queryRaw<SeatFiguresRow[]>`
        SELECT c."id" AS "cohortId", c."capacity",
          (COUNT(e."id") FILTER (WHERE e."status" = 'SEATED'))::int AS "seated",
          (COUNT(e."id") FILTER (WHERE e."status" = 'WAITLISTED'))::int AS "waiting"
        FROM "Cohort" c LEFT JOIN "Enrolment" e ON e."cohortId" = c."id"
        WHERE c."townCode" = ${scope.townCode} AND c."enrolmentClosesAt" > ${scope.closesAfter}
        GROUP BY c."id"`;
}

/** The locale outbox rows are written in for a chat user. */
export function localeOf(user: Pick<ChatUser, "locale">): "zh" | "en" {
  return user.locale === "en" ? "en" : "zh";
}

const sessionPlace = (s: { place: string; placeEn: string }): Bilingual => ({ zh: s.place, en: s.placeEn });

/**
 * Seats waitlisted residents, first come first served, while the cohort has
 * free seats, and queues a {@link CLASS_PROMOTED_KIND} row for each in the
 * same transaction. The caller holds {@link lockCohort}. The dedupe key names
 * the enrolment and its arrival number, so a resident who cancels, signs up
 * again and is promoted again is told again, but one promotion only once.
 *
 * @returns the ids of the enrolments seated now, in waitlist order
 */
export async function fillSeats(tx: Tx, cohortId: string, now: Date): Promise<string[]> {
  const [figures] = await seatFigures(tx, { cohortId });
  const free = figures ? figures.capacity - figures.seated : 0;
  // Most calls find the cohort full or nobody waiting: then nothing else is read.
  if (free <= 0 || figures!.waiting === 0) return [];
  const next = await tx.enrolment.findMany({ where: { cohortId, status: "WAITLISTED" }, orderBy: { queueNumber: "asc" }, take: free, include: { user: true } });
  const cohort = await tx.cohort.findUniqueOrThrow({
    where: { id: cohortId },
    include: { course: true, sessions: { where: { startsAt: { gt: now } }, orderBy: { position: "asc" }, take: 1 } },
  });
  const coming = cohort.sessions[0];
  for (const enrolment of next) {
    await tx.enrolment.update({ where: { id: enrolment.id }, data: { status: "SEATED", seatedAt: now } });
    const payload: ClassPromotedPayload = {
      cohortCode: cohort.code,
      course: { zh: cohort.course.name, en: cohort.course.nameEn },
      cohort: { zh: cohort.title, en: cohort.titleEn },
      checkInCode: enrolment.checkInCode,
      nextSessionStartsAt: coming ? coming.startsAt.toISOString() : null,
      nextSessionPlace: coming ? sessionPlace(coming) : null,
      locale: localeOf(enrolment.user),
    };
    await tx.outboxMessage.create({
      data: {
        dedupeKey: `class-promoted:${enrolment.id}:${enrolment.queueNumber}`,
        kind: CLASS_PROMOTED_KIND,
        channel: enrolment.user.channel,
        chatId: enrolment.user.chatId,
        payload: payload as unknown as Prisma.InputJsonObject,
        createdAt: now,
        nextAttemptAt: now,
      },
    });
  }
  return next.map((e) => e.id);
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
