import { randomUUID } from "node:crypto";
import { prismaSql, sql } from "../../db/sql.ts";
import type { Attendance, Enrolment } from "../../generated/prisma/client.ts";
import { normalizeCode } from "../staff/registry.ts";
import { localDateTimeOf } from "../time/zone.ts";
import { cohortView, findCohort, infoOf } from "./catalogue.ts";
import type { CheckInResult, ClassesService, EnrolmentStatusName, RosterEntry, RosterResult, SetCapacityResult } from "./classes.ts";
import { TRANSACTION_OPTIONS, type ClassesContext } from "./context.ts";
import { toCsv } from "./csv.ts";
import { fillSeats, lockCohort, seatFigures } from "./seats.ts";

/*
 * What academy staff do with a cohort's people: change its seats, read its
 * roster (on screen or as a CSV file), and check residents in at a session,
 * which marks completion once they attended the cohort's share.
 */

const MAX_CAPACITY = 10_000;

/** An enrolment as its roster line shows it. */
type RosterRow = Pick<
  Enrolment,
  | "name"
  | "mobile"
  | "neighbourhoodCode"
  | "skills"
  | "status"
  | "queueNumber"
  | "checkInCode"
  | "completedAt"
  | "createdAt"
  | "cancelledAt"
> & { attended: number };

/** How many sessions of `total` a resident must attend to complete a cohort with this share. */
export function sessionsToComplete(share: number, total: number): number {
  // The epsilon keeps 0.75 × 8 at 6 whatever the floating point makes of it.
  return Math.max(1, Math.ceil(share * total - 1e-9));
}

/** The service's staff methods for a cohort's seats, roster and attendance. */
export function rosterMethods(ctx: ClassesContext): Pick<ClassesService, "setCapacity" | "roster" | "rosterCsv" | "checkIn"> {
  const { prisma, db, townCode, clock, catalogue, academyStaff } = ctx;

  const roster = async (staff: Parameters<ClassesService["roster"]>[0], cohortCode: string): Promise<RosterResult> => {
    if (!(await academyStaff(staff))) return { type: "notAllowed" };
    const cohort = await findCohort(prisma, townCode, cohortCode);
    if (!cohort) return { type: "unknownCohort" };
    const rows = await db.query<RosterRow>(
      sql`SELECT e."name", e."mobile", e."neighbourhoodCode", e."skills", e."status", e."queueNumber", e."checkInCode", e."completedAt", e."createdAt", e."cancelledAt",
           (SELECT COUNT(*)::int FROM "Attendance" a WHERE a."enrolmentId" = e."id") AS "attended"
         FROM "Enrolment" e WHERE e."cohortId" = ${cohort.id} ORDER BY e."queueNumber"`,
    );
    const names = await catalogue.neighbourhoodNames();
    const rank: Record<EnrolmentStatusName, number> = { SEATED: 0, WAITLISTED: 1, CANCELLED: 2 };
    let waiting = 0;
    const entries = rows
      .sort((a, b) => rank[a.status] - rank[b.status] || a.queueNumber - b.queueNumber)
      .map(
        (e): RosterEntry => ({
          name: e.name,
          mobile: e.mobile,
          neighbourhoodCode: e.neighbourhoodCode,
          neighbourhood: names.get(e.neighbourhoodCode) ?? null,
          skills: e.skills,
          status: e.status,
          waitlistPosition: e.status === "WAITLISTED" ? ++waiting : null,
          checkInCode: e.checkInCode,
          attended: e.attended,
          completed: e.completedAt !== null,
          enrolledAt: e.createdAt,
          cancelledAt: e.cancelledAt,
        }),
      );
    const [figures] = await seatFigures(db, { cohortId: cohort.id });
    return { type: "roster", cohort: cohortView(infoOf(cohort, clock()), figures!, clock()), entries };
  };

  return {
    async setCapacity(staff, cohortCode, capacity) {
      if (!(await academyStaff(staff))) return { type: "notAllowed" };
      if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) return { type: "invalidCapacity" };
      return prisma.$transaction(async (tx): Promise<SetCapacityResult> => {
        const cohort = await findCohort(tx, townCode, cohortCode);
        if (!cohort) return { type: "unknownCohort" };
        // The capacity is Prisma's to write; who is seated is the driver's, in this same transaction.
        const seats = prismaSql(tx);
        await lockCohort(seats, cohort.id);
        const seated = (await seatFigures(seats, { cohortId: cohort.id }))[0]!.seated;
        if (capacity < seated) return { type: "belowSeated", seated };
        await tx.cohort.update({ where: { id: cohort.id }, data: { capacity } });
        const promoted = (await fillSeats(seats, cohort.id, clock())).length;
        return { type: "updated", capacity, seated: seated + promoted, promoted };
      }, TRANSACTION_OPTIONS);
    },

    roster,

    async rosterCsv(staff, cohortCode) {
      const listed = await roster(staff, cohortCode);
      if (listed.type !== "roster") return listed;
      const status: Record<EnrolmentStatusName, string> = {
        SEATED: "已入座 Seated",
        WAITLISTED: "候补 Waitlisted",
        CANCELLED: "已取消 Cancelled",
      };
      const time = (d: Date | null) => (d ? localDateTimeOf(d, ctx.timeZone) : "");
      const rows = [
        [
          "状态 Status",
          "候补顺位 Waitlist",
          "姓名 Name",
          "手机 Mobile",
          "居民区 Neighbourhood",
          "技能特长 Skills",
          "签到码 Check-in code",
          `出勤 Attended (/${listed.cohort.sessions.length})`,
          "结业 Completed",
          "报名时间 Enrolled at",
          "取消时间 Cancelled at",
        ],
        ...listed.entries.map((e) => [
          status[e.status],
          e.waitlistPosition === null ? "" : String(e.waitlistPosition),
          e.name,
          e.mobile,
          e.neighbourhood?.zh ?? e.neighbourhoodCode,
          e.skills.join("、"),
          e.checkInCode,
          String(e.attended),
          e.completed ? "是 Yes" : "",
          time(e.enrolledAt),
          time(e.cancelledAt),
        ]),
      ];
      return { type: "csv", fileName: `${listed.cohort.code}-roster.csv`, content: toCsv(rows) };
    },

    async checkIn(staff, ref, code) {
      const member = await academyStaff(staff);
      if (!member) return { type: "notAllowed" };
      const session =
        "sessionId" in ref
          ? await prisma.cohortSession.findFirst({
              where: { id: ref.sessionId, cohort: { townCode } },
              include: { cohort: { include: { _count: { select: { sessions: true } } } } },
            })
          : await prisma.cohortSession.findFirst({
              where: { position: ref.sessionIndex, cohort: { townCode, code: ref.cohortCode } },
              include: { cohort: { include: { _count: { select: { sessions: true } } } } },
            });
      if (!session) return { type: "unknownSession" };
      return db.transaction(async (tx): Promise<CheckInResult> => {
        const [enrolment] = await tx.query<Pick<Enrolment, "id" | "name" | "status" | "completedAt">>(
          sql`SELECT "id", "name", "status", "completedAt" FROM "Enrolment" WHERE "cohortId" = ${session.cohortId} AND "checkInCode" = ${normalizeCode(code)}`,
        );
        if (!enrolment || enrolment.status !== "SEATED") return { type: "wrongCode" };
        const now = clock();
        // A second check-in at the same session writes nothing: the first one stands.
        const [written] = await tx.query<Pick<Attendance, "id">>(
          sql`INSERT INTO "Attendance" ("id", "enrolmentId", "sessionId", "checkedInAt", "staffId")
           VALUES (${randomUUID()}, ${enrolment.id}, ${session.id}, ${now}, ${member.staffId})
           ON CONFLICT ("enrolmentId", "sessionId") DO NOTHING RETURNING "id"`,
        );
        if (!written) return { type: "alreadyCheckedIn", name: enrolment.name, sessionIndex: session.position };
        const attended = (
          await tx.query<{ attended: number }>(
            sql`SELECT COUNT(*)::int AS "attended" FROM "Attendance" WHERE "enrolmentId" = ${enrolment.id}`,
          )
        )[0]!.attended;
        const total = session.cohort._count.sessions;
        const completed = enrolment.completedAt !== null || attended >= sessionsToComplete(session.cohort.completionShare, total);
        if (completed && enrolment.completedAt === null)
          await tx.query(sql`UPDATE "Enrolment" SET "completedAt" = ${now} WHERE "id" = ${enrolment.id}`);
        return { type: "checkedIn", name: enrolment.name, sessionIndex: session.position, attended, sessions: total, completed };
      });
    },
  };
}
