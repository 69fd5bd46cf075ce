import { randomUUID } from "node:crypto";
import { prismaSql, sql, type Sql } from "../../db/sql.ts";
import type { ChatUser, Cohort, CohortSession, Course, Enrolment } from "../../generated/prisma/client.ts";
import type { Bilingual } from "../grid/index.ts";
import { queueOutbox, type OutboxRow } from "../outbox/queue.ts";
import { findCohort } from "./catalogue.ts";
import type { BroadcastResult, ClassBroadcastPayload, ClassesService, ClassReminderPayload, UpdateSessionResult } from "./classes.ts";
import { TRANSACTION_OPTIONS, type ClassesContext } from "./context.ts";
import { CLASS_BROADCAST_KIND, CLASS_CHANGED_KIND, CLASS_REMINDER_KIND, localeOf, sessionInfo } from "./seats.ts";

/*
 * What seated residents are told about their cohort's sessions: reminders
 * before each one, a notice when staff move one, and staff broadcasts. Every
 * message goes through the outbox, written in the change's transaction.
 */

/** Reminders go out this long before a session unless the caller says otherwise (the day before). */
export const REMINDER_LEAD_HOURS_DEFAULT = 24;

const MAX_BROADCAST = 2000;
/** The longest a session may last, as the town data allows. */
const MAX_SESSION_MS = 12 * 3_600_000;
const HOUR = 3_600_000;

/** A seated resident, with where to tell them. */
type SeatedRow = Pick<Enrolment, "id"> & Pick<ChatUser, "channel" | "chatId" | "locale">;

/** A cohort as a message names it. */
type CohortNames = Pick<Cohort, "code" | "title" | "titleEn"> & { courseName: Course["name"]; courseNameEn: Course["nameEn"] };

/** A seated resident of a session starting soon, with what their reminder says. */
type ReminderRow = SeatedRow &
  CohortNames &
  Pick<CohortSession, "position" | "startsAt" | "endsAt" | "place" | "placeEn" | "topic" | "topicEn"> & { sessionId: CohortSession["id"] };

const courseOf = (cohort: CohortNames): Bilingual => ({ zh: cohort.courseName, en: cohort.courseNameEn });
const titleOf = (cohort: CohortNames): Bilingual => ({ zh: cohort.title, en: cohort.titleEn });

/**
 * The cohort's seated residents in arrival order. No timestamps are selected:
 * it also runs inside a Prisma transaction (see epochMillis).
 */
const seatedResidents = (tx: Sql, cohortId: string) =>
  tx.query<SeatedRow>(
    sql`SELECT e."id", u."channel", u."chatId", u."locale" FROM "Enrolment" e JOIN "ChatUser" u ON u."id" = e."userId"
     WHERE e."cohortId" = ${cohortId} AND e."status" = 'SEATED' ORDER BY e."queueNumber"`,
  );

/** The service's session methods: reminders, broadcasts and moving a session. */
export function sessionMethods(ctx: ClassesContext): Pick<ClassesService, "queueReminders" | "broadcast" | "updateSession"> {
  const { prisma, db, townCode, clock, catalogue, academyStaff } = ctx;
  return {
    async queueReminders(now = clock(), leadHours = REMINDER_LEAD_HOURS_DEFAULT) {
      const due = await db.query<ReminderRow>(
        sql`SELECT e."id", u."channel", u."chatId", u."locale", c."code", c."title", c."titleEn", k."name" AS "courseName", k."nameEn" AS "courseNameEn",
           s."id" AS "sessionId", s."position", s."startsAt", s."endsAt", s."place", s."placeEn", s."topic", s."topicEn"
         FROM "CohortSession" s
         JOIN "Cohort" c ON c."id" = s."cohortId"
         JOIN "Course" k ON k."id" = c."courseId"
         JOIN "Enrolment" e ON e."cohortId" = c."id" AND e."status" = 'SEATED'
         JOIN "ChatUser" u ON u."id" = e."userId"
         WHERE c."townCode" = ${townCode} AND s."startsAt" > ${now} AND s."startsAt" <= ${new Date(now.getTime() + leadHours * HOUR)}
         ORDER BY s."startsAt", s."id", e."queueNumber"`,
      );
      const rows = due.map((r): OutboxRow => {
        const payload: ClassReminderPayload = {
          cohortCode: r.code,
          course: courseOf(r),
          cohort: titleOf(r),
          sessionIndex: r.position,
          startsAt: r.startsAt.toISOString(),
          endsAt: r.endsAt.toISOString(),
          place: { zh: r.place, en: r.placeEn },
          topic: { zh: r.topic, en: r.topicEn },
          locale: localeOf(r),
        };
        return {
          dedupeKey: `class-reminder:${r.id}:${r.sessionId}`,
          kind: CLASS_REMINDER_KIND,
          channel: r.channel,
          chatId: r.chatId,
          payload,
        };
      });
      // The dedupe key makes a second run (or a second instance) queue nothing it already queued.
      return queueOutbox(db, rows, now);
    },

    async broadcast(staff, cohortCode, text) {
      const member = await academyStaff(staff);
      if (!member) return { type: "notAllowed" };
      const message = text.trim().slice(0, MAX_BROADCAST);
      if (message === "") return { type: "emptyText" };
      return db.transaction(async (tx): Promise<BroadcastResult> => {
        const [cohort] = await tx.query<CohortNames & Pick<Cohort, "id">>(
          sql`SELECT c."id", c."code", c."title", c."titleEn", k."name" AS "courseName", k."nameEn" AS "courseNameEn"
           FROM "Cohort" c JOIN "Course" k ON k."id" = c."courseId" WHERE c."townCode" = ${townCode} AND c."code" = ${cohortCode}`,
        );
        if (!cohort) return { type: "unknownCohort" };
        const seated = await seatedResidents(tx, cohort.id);
        const broadcastId = randomUUID();
        const rows = seated.map((e): OutboxRow => {
          const payload: ClassBroadcastPayload = {
            cohortCode: cohort.code,
            course: courseOf(cohort),
            cohort: titleOf(cohort),
            text: message,
            from: member.label,
            locale: localeOf(e),
          };
          return {
            dedupeKey: `class-broadcast:${broadcastId}:${e.id}`,
            kind: CLASS_BROADCAST_KIND,
            channel: e.channel,
            chatId: e.chatId,
            payload,
          };
        });
        await queueOutbox(tx, rows, clock());
        return { type: "queued", recipients: seated.length };
      });
    },

    async updateSession(staff, cohortCode, sessionIndex, change) {
      if (!(await academyStaff(staff))) return { type: "notAllowed" };
      const length = change.endsAt.getTime() - change.startsAt.getTime();
      if (!(length > 0) || length > MAX_SESSION_MS) return { type: "invalidTime" };
      // The session is Prisma's to write; attendance, seats and the outbox are the driver's, in this same transaction.
      const result = await prisma.$transaction(async (tx): Promise<UpdateSessionResult> => {
        const driver = prismaSql(tx);
        const cohort = await findCohort(tx, townCode, cohortCode);
        const session = cohort?.sessions.find((s) => s.position === sessionIndex);
        if (!cohort || !session) return { type: "unknownSession" };
        const [attendance] = await driver.query<{ held: boolean }>(
          sql`SELECT EXISTS (SELECT 1 FROM "Attendance" WHERE "sessionId" = ${session.id}) AS "held"`,
        );
        if (attendance!.held) return { type: "alreadyHeld" };
        const before = cohort.sessions.find((s) => s.position === sessionIndex - 1);
        const after = cohort.sessions.find((s) => s.position === sessionIndex + 1);
        if ((before && before.endsAt > change.startsAt) || (after && after.startsAt < change.endsAt)) return { type: "overlaps" };
        const updated = await tx.cohortSession.update({
          where: { id: session.id },
          data: { startsAt: change.startsAt, endsAt: change.endsAt, place: change.place.zh, placeEn: change.place.en },
        });
        const seated = await seatedResidents(driver, cohort.id);
        // Each change is its own message, even two made at the same clock tick.
        const changeId = randomUUID();
        const info = sessionInfo(updated);
        const rows = seated.map((e): OutboxRow => {
          const payload: ClassReminderPayload = {
            cohortCode: cohort.code,
            course: { zh: cohort.course.name, en: cohort.course.nameEn },
            cohort: { zh: cohort.title, en: cohort.titleEn },
            sessionIndex,
            startsAt: info.startsAt.toISOString(),
            endsAt: info.endsAt.toISOString(),
            place: info.place,
            topic: info.topic,
            locale: localeOf(e),
          };
          return {
            dedupeKey: `class-changed:${changeId}:${e.id}`,
            kind: CLASS_CHANGED_KIND,
            channel: e.channel,
            chatId: e.chatId,
            payload,
          };
        });
        await queueOutbox(driver, rows, clock());
        return { type: "updated", notified: seated.length };
      }, TRANSACTION_OPTIONS);
      // Committed: listings read from memory show the new time and place from now on.
      if (result.type === "updated") catalogue.forget();
      return result;
    },
  };
}
