import { randomUUID } from "node:crypto";
import type { Prisma } from "../../generated/prisma/client.ts";
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

/** The service's session methods: reminders, broadcasts and moving a session. */
export function sessionMethods(ctx: ClassesContext): Pick<ClassesService, "queueReminders" | "broadcast" | "updateSession"> {
  const { prisma, townCode, clock, catalogue, academyStaff } = ctx;
  return {
    async queueReminders(now = clock(), leadHours = REMINDER_LEAD_HOURS_DEFAULT) {
      const sessions = await prisma.cohortSession.findMany({
        where: { startsAt: { gt: now, lte: new Date(now.getTime() + leadHours * HOUR) }, cohort: { townCode } },
        include: { cohort: { include: { course: true, enrolments: { where: { status: "SEATED" }, include: { user: true } } } } },
      });
      const rows = sessions.flatMap((s) =>
        s.cohort.enrolments.map((e) => {
          const payload: ClassReminderPayload = {
            cohortCode: s.cohort.code,
            course: { zh: s.cohort.course.name, en: s.cohort.course.nameEn },
            cohort: { zh: s.cohort.title, en: s.cohort.titleEn },
            sessionIndex: s.position,
            startsAt: s.startsAt.toISOString(),
            endsAt: s.endsAt.toISOString(),
            place: { zh: s.place, en: s.placeEn },
            topic: { zh: s.topic, en: s.topicEn },
            locale: localeOf(e.user),
          };
          return {
            dedupeKey: `class-reminder:${e.id}:${s.id}`,
            kind: CLASS_REMINDER_KIND,
            channel: e.user.channel,
            chatId: e.user.chatId,
            payload: payload as unknown as Prisma.InputJsonObject,
            createdAt: now,
            nextAttemptAt: now,
          };
        }),
      );
      if (rows.length === 0) return 0;
      // The dedupe key makes a second run (or a second instance) queue nothing it already queued.
      return (await prisma.outboxMessage.createMany({ data: rows, skipDuplicates: true })).count;
    },

    async broadcast(staff, cohortCode, text) {
      const member = await academyStaff(staff);
      if (!member) return { type: "notAllowed" };
      const message = text.trim().slice(0, MAX_BROADCAST);
      if (message === "") return { type: "emptyText" };
      return prisma.$transaction(async (tx): Promise<BroadcastResult> => {
        const cohort = await findCohort(tx, townCode, cohortCode);
        if (!cohort) return { type: "unknownCohort" };
        const seated = await tx.enrolment.findMany({
          where: { cohortId: cohort.id, status: "SEATED" },
          include: { user: true },
          orderBy: { queueNumber: "asc" },
        });
        const broadcastId = randomUUID();
        const now = clock();
        await tx.outboxMessage.createMany({
          data: seated.map((e) => {
            const payload: ClassBroadcastPayload = {
              cohortCode: cohort.code,
              course: { zh: cohort.course.name, en: cohort.course.nameEn },
              cohort: { zh: cohort.title, en: cohort.titleEn },
              text: message,
              from: member.label,
              locale: localeOf(e.user),
            };
            return {
              dedupeKey: `class-broadcast:${broadcastId}:${e.id}`,
              kind: CLASS_BROADCAST_KIND,
              channel: e.user.channel,
              chatId: e.user.chatId,
              payload: payload as unknown as Prisma.InputJsonObject,
              createdAt: now,
              nextAttemptAt: now,
            };
          }),
        });
        return { type: "queued", recipients: seated.length };
      }, TRANSACTION_OPTIONS);
    },

    async updateSession(staff, cohortCode, sessionIndex, change) {
      if (!(await academyStaff(staff))) return { type: "notAllowed" };
      const length = change.endsAt.getTime() - change.startsAt.getTime();
      if (!(length > 0) || length > MAX_SESSION_MS) return { type: "invalidTime" };
      const result = await prisma.$transaction(async (tx): Promise<UpdateSessionResult> => {
        const cohort = await findCohort(tx, townCode, cohortCode);
        const session = cohort?.sessions.find((s) => s.position === sessionIndex);
        if (!cohort || !session) return { type: "unknownSession" };
        if ((await tx.attendance.count({ where: { sessionId: session.id } })) > 0) return { type: "alreadyHeld" };
        const before = cohort.sessions.find((s) => s.position === sessionIndex - 1);
        const after = cohort.sessions.find((s) => s.position === sessionIndex + 1);
        if ((before && before.endsAt > change.startsAt) || (after && after.startsAt < change.endsAt)) return { type: "overlaps" };
        const updated = await tx.cohortSession.update({
          where: { id: session.id },
          data: { startsAt: change.startsAt, endsAt: change.endsAt, place: change.place.zh, placeEn: change.place.en },
        });
        const seated = await tx.enrolment.findMany({
          where: { cohortId: cohort.id, status: "SEATED" },
          include: { user: true },
          orderBy: { queueNumber: "asc" },
        });
        const now = clock();
        // Each change is its own message, even two made at the same clock tick.
        const changeId = randomUUID();
        const info = sessionInfo(updated);
        await tx.outboxMessage.createMany({
          data: seated.map((e) => {
            const payload: ClassReminderPayload = {
              cohortCode: cohort.code,
              course: { zh: cohort.course.name, en: cohort.course.nameEn },
              cohort: { zh: cohort.title, en: cohort.titleEn },
              sessionIndex,
              startsAt: info.startsAt.toISOString(),
              endsAt: info.endsAt.toISOString(),
              place: info.place,
              topic: info.topic,
              locale: localeOf(e.user),
            };
            return {
              dedupeKey: `class-changed:${changeId}:${e.id}`,
              kind: CLASS_CHANGED_KIND,
              channel: e.user.channel,
              chatId: e.user.chatId,
              payload: payload as unknown as Prisma.InputJsonObject,
              createdAt: now,
              nextAttemptAt: now,
            };
          }),
        });
        return { type: "updated", notified: seated.length };
      }, TRANSACTION_OPTIONS);
      // Committed: listings read from memory show the new time and place from now on.
      if (result.type === "updated") catalogue.forget();
      return result;
    },
  };
}
