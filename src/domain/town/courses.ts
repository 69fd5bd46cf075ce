import type { Cohort, Prisma } from "../../generated/prisma/client.ts";
import { required, sync, type ImportCounts } from "./sync.ts";
import { COMPLETION_SHARE_DEFAULT, type TownData } from "./town-data.ts";
import { fillSeats, lockCohort } from "../classes/seats.ts";
import { prismaSql, sql } from "../../db/sql.ts";

type Tx = Prisma.TransactionClient;

/** What the import did to the academy's courses; sessions are matched by position within their cohort. */
export interface CourseImportCounts {
  courses: ImportCounts;
  cohorts: ImportCounts;
  sessions: ImportCounts;
  /** Waitlisted residents seated because a cohort's capacity went up. */
  promoted: number;
}

/** One way a town-data file would break enrolments already made, at a field of the file. */
export interface CourseConflict {
  /** The field of the file, e.g. `courses[0].cohorts[1].capacity`. */
  field: string;
  /** Chinese first, then English, separated by " / ". */
  message: string;
}

/**
 * Raised when an import would lower a cohort's capacity below the residents
 * already seated, drop a cohort residents enrolled in, or drop sessions that
 * have attendance. Nothing is written; the file's maintainer fixes the fields
 * named in {@link CourseConflictError.conflicts}.
 */
export class CourseConflictError extends Error {
  constructor(
    readonly townCode: string,
    readonly conflicts: readonly CourseConflict[],
  ) {
    super(
      [
        `镇 ${townCode} 的班次数据与已有报名冲突，未导入任何内容 / the courses for ${townCode} conflict with existing enrolments; nothing was imported`,
        ...conflicts.map((c) => `  ${c.field}: ${c.message}`),
      ].join("\n"),
    );
    this.name = "CourseConflictError";
  }
}

const cohortField = (i: number, j: number) => `courses[${i}].cohorts[${j}]`;

/** A stored cohort with what the file must not undo: its residents' places and the sessions that have attendance. */
type StoredCohortRow = Pick<Cohort, "code"> & {
  /** Seated and waitlisted enrolments. */
  enrolled: number;
  seated: number;
  /** Positions of the sessions someone checked in at. */
  attended: number[];
};

async function findConflicts(tx: Tx, data: TownData): Promise<CourseConflict[]> {
  // Enrolments and attendance are the driver's tables (decision record 0007): read through it, in the import's transaction.
  const stored = await prismaSql(tx).query<StoredCohortRow>(
    sql`SELECT c."code",
       (SELECT COUNT(*)::int FROM "Enrolment" e WHERE e."cohortId" = c."id" AND e."status" <> 'CANCELLED') AS "enrolled",
       (SELECT COUNT(*)::int FROM "Enrolment" e WHERE e."cohortId" = c."id" AND e."status" = 'SEATED') AS "seated",
       ARRAY(SELECT s."position" FROM "CohortSession" s
         WHERE s."cohortId" = c."id" AND EXISTS (SELECT 1 FROM "Attendance" a WHERE a."sessionId" = s."id") ORDER BY s."position") AS "attended"
     FROM "Cohort" c WHERE c."townCode" = ${data.town.code} ORDER BY c."sortOrder"`,
  );
  const conflicts: CourseConflict[] = [];
  const inFile = new Map(data.courses.flatMap((course, i) => course.cohorts.map((cohort, j) => [cohort.code, { cohort, i, j }] as const)));
  for (const row of stored) {
    const entry = inFile.get(row.code);
    if (entry === undefined) {
      if (row.enrolled > 0) {
        conflicts.push({
          field: "courses",
          message: `期次“${row.code}”已有 ${row.enrolled} 人报名，不能从文件中删除 / cohort "${row.code}" has ${row.enrolled} enrolment(s) and cannot be left out of the file`,
        });
      }
      continue;
    }
    const { cohort, i, j } = entry;
    const taken = row.seated;
    if (cohort.capacity < taken) {
      conflicts.push({
        field: `${cohortField(i, j)}.capacity`,
        message: `名额 ${cohort.capacity} 少于已入座的 ${taken} 人 / capacity ${cohort.capacity} is below the ${taken} resident(s) already seated`,
      });
    }
    const attended = row.attended.filter((position) => position > cohort.sessions.length);
    if (attended.length > 0) {
      conflicts.push({
        field: `${cohortField(i, j)}.sessions`,
        message: `第 ${attended.join("、")} 次课已有签到记录，不能删除 / session(s) ${attended.join(", ")} have attendance and cannot be removed`,
      });
    }
  }
  return conflicts;
}

/**
 * Writes the town data's courses, cohorts and sessions in the import's
 * transaction. Courses and cohorts keep their ids by code, sessions by their
 * position in the cohort, so enrolments and attendance stay attached. A
 * cohort whose capacity went up seats waitlisted residents at once (and
 * queues their notices). Throws {@link CourseConflictError} before writing
 * anything when the file would undo existing enrolments.
 */
export async function writeCourses(tx: Tx, data: TownData, now: Date): Promise<CourseImportCounts> {
  const townCode = data.town.code;
  const existingCohorts = await tx.cohort.findMany({ where: { townCode }, select: { id: true, code: true } });
  // Lock first, so no sign-up changes a seat count between the check and the write.
  for (const cohort of existingCohorts) await lockCohort(prismaSql(tx), cohort.id);
  const conflicts = await findConflicts(tx, data);
  if (conflicts.length > 0) throw new CourseConflictError(townCode, conflicts);

  const courseFields = (index: number) => {
    const c = data.courses[index]!;
    return { name: c.name, nameEn: c.nameEn, description: c.description, descriptionEn: c.descriptionEn, sortOrder: index };
  };
  const courses = await sync(await tx.course.findMany({ where: { townCode }, select: { id: true, code: true } }), data.courses, {
    update: (id, index) => tx.course.update({ where: { id }, data: courseFields(index) }),
    create: (index) =>
      tx.course.create({ data: { townCode, code: data.courses[index]!.code, ...courseFields(index) }, select: { id: true } }),
  });

  const cohortList = data.courses.flatMap((course) => course.cohorts.map((cohort) => ({ course: course.code, cohort, code: cohort.code })));
  const cohortFields = (index: number) => {
    const { course, cohort: c } = cohortList[index]!;
    return {
      courseId: required(courses.ids, course),
      title: c.title,
      titleEn: c.titleEn,
      capacity: c.capacity,
      enrolmentOpensAt: new Date(c.enrolmentOpensAt),
      enrolmentClosesAt: new Date(c.enrolmentClosesAt),
      eligibility: c.eligibility,
      eligibilityEn: c.eligibilityEn,
      location: c.location,
      locationEn: c.locationEn,
      neighbourhoodCodes: c.neighbourhoods,
      completionShare: c.completionShare ?? COMPLETION_SHARE_DEFAULT,
      sortOrder: index,
    };
  };
  const cohorts = await sync(existingCohorts, cohortList, {
    update: (id, index) => tx.cohort.update({ where: { id }, data: cohortFields(index) }),
    create: (index) =>
      tx.cohort.create({ data: { townCode, code: cohortList[index]!.code, ...cohortFields(index) }, select: { id: true } }),
  });

  const sessions: ImportCounts = { created: 0, updated: 0, removed: 0 };
  let promoted = 0;
  for (const { cohort, code } of cohortList) {
    const cohortId = required(cohorts.ids, code);
    const stored = new Map(
      (await tx.cohortSession.findMany({ where: { cohortId }, select: { id: true, position: true } })).map((s) => [s.position, s.id]),
    );
    for (const [k, s] of cohort.sessions.entries()) {
      const position = k + 1;
      const fields = {
        startsAt: new Date(s.startsAt),
        endsAt: new Date(s.endsAt),
        place: s.place ?? cohort.location,
        placeEn: s.placeEn ?? cohort.locationEn,
        topic: s.topic,
        topicEn: s.topicEn,
        lecturerRole: s.lecturerRole,
        lecturerRoleEn: s.lecturerRoleEn,
      };
      const id = stored.get(position);
      if (id === undefined) {
        await tx.cohortSession.create({ data: { cohortId, position, ...fields } });
        sessions.created++;
      } else {
        await tx.cohortSession.update({ where: { id }, data: fields });
        sessions.updated++;
      }
    }
    const removed = await tx.cohortSession.deleteMany({ where: { cohortId, position: { gt: cohort.sessions.length } } });
    sessions.removed += removed.count;
    promoted += (await fillSeats(prismaSql(tx), cohortId, now)).length;
  }

  // findConflicts made sure no stale cohort has enrolments left; a stale course takes its (stale) cohorts with it.
  await tx.cohort.deleteMany({ where: { id: { in: cohorts.stale } } });
  await tx.course.deleteMany({ where: { id: { in: courses.stale } } });
  return { courses: courses.counts, cohorts: cohorts.counts, sessions, promoted };
}
