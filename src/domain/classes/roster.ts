import { prismaSql } from "../../db/sql.ts";
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
    const rows = await prisma.enrolment.findMany({
      where: { cohortId: cohort.id },
      include: { _count: { select: { attendances: true } } },
      orderBy: { queueNumber: "asc" },
    });
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
          attended: e._count.attendances,
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
        await lockCohort(prismaSql(tx), cohort.id);
        const seated = await tx.enrolment.count({ where: { cohortId: cohort.id, status: "SEATED" } });
        if (capacity < seated) return { type: "belowSeated", seated };
        await tx.cohort.update({ where: { id: cohort.id }, data: { capacity } });
        const promoted = (await fillSeats(prismaSql(tx), cohort.id, clock())).length;
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
      return prisma.$transaction(async (tx): Promise<CheckInResult> => {
        const enrolment = await tx.enrolment.findUnique({
          where: { cohortId_checkInCode: { cohortId: session.cohortId, checkInCode: normalizeCode(code) } },
        });
        if (!enrolment || enrolment.status !== "SEATED") return { type: "wrongCode" };
        const now = clock();
        const written = await tx.attendance.createMany({
          data: [{ enrolmentId: enrolment.id, sessionId: session.id, checkedInAt: now, staffId: member.staffId }],
          skipDuplicates: true,
        });
        if (written.count === 0) return { type: "alreadyCheckedIn", name: enrolment.name, sessionIndex: session.position };
        const attended = await tx.attendance.count({ where: { enrolmentId: enrolment.id } });
        const total = session.cohort._count.sessions;
        const completed = enrolment.completedAt !== null || attended >= sessionsToComplete(session.cohort.completionShare, total);
        if (completed && enrolment.completedAt === null)
          await tx.enrolment.update({ where: { id: enrolment.id }, data: { completedAt: now } });
        return { type: "checkedIn", name: enrolment.name, sessionIndex: session.position, attended, sessions: total, completed };
      }, TRANSACTION_OPTIONS);
    },
  };
}
