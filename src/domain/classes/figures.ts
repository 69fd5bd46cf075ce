import type { Cohort, Course } from "../../generated/prisma/client.ts";
import { sql, type Sql } from "../../db/sql.ts";
import type { Bilingual } from "../grid/index.ts";
import { seatFigures } from "./seats.ts";

/** How one cohort is filling and attended, for the town office's figures; counts only, no names. */
export interface CohortFigures {
  code: string;
  course: Bilingual;
  title: Bilingual;
  capacity: number;
  seated: number;
  waiting: number;
  /** Seated ÷ capacity; null for a cohort without seats. */
  fillRate: number | null;
  /** Sessions that have started by `now`. */
  sessionsHeld: number;
  /** Check-ins of the seated residents at those sessions. */
  attendances: number;
  /** Attendances ÷ (seated × sessions held); null before the first session or with nobody seated. */
  attendanceRate: number | null;
}

type CohortRow = Pick<Cohort, "id" | "code" | "title" | "titleEn"> & Pick<Course, "name" | "nameEn"> & { held: number; attended: number };

/**
 * The town's cohorts whose enrolment closes after `since` (still filling, or
 * recently run), in the catalogue's order, with their seats (the same count a
 * sign-up decides on) and attendance at the sessions held by `now`. Two
 * statements however many cohorts.
 */
export async function cohortFigures(db: Sql, townCode: string, since: Date, now: Date): Promise<CohortFigures[]> {
  const [seats, cohorts] = await Promise.all([
    seatFigures(db, { townCode, closesAfter: since }),
    db.query<CohortRow>(
      sql`SELECT c."id", c."code", c."title", c."titleEn", co."name", co."nameEn",
          (SELECT COUNT(*) FROM "CohortSession" s WHERE s."cohortId" = c."id" AND s."startsAt" <= ${now})::int AS "held",
          (SELECT COUNT(*) FROM "Attendance" a JOIN "CohortSession" s ON s."id" = a."sessionId" JOIN "Enrolment" e ON e."id" = a."enrolmentId"
            WHERE s."cohortId" = c."id" AND s."startsAt" <= ${now} AND e."status" = 'SEATED')::int AS "attended"
        FROM "Cohort" c JOIN "Course" co ON co."id" = c."courseId"
        WHERE c."townCode" = ${townCode} AND c."enrolmentClosesAt" > ${since}
        ORDER BY co."sortOrder", c."sortOrder", c."code"`,
    ),
  ]);
  const seatsOf = new Map(seats.map((figures) => [figures.cohortId, figures]));
  return cohorts.flatMap((cohort) => {
    const figures = seatsOf.get(cohort.id);
    if (!figures) return [];
    const expected = figures.seated * cohort.held;
    return [
      {
        code: cohort.code,
        course: { zh: cohort.name, en: cohort.nameEn },
        title: { zh: cohort.title, en: cohort.titleEn },
        capacity: figures.capacity,
        seated: figures.seated,
        waiting: figures.waiting,
        fillRate: figures.capacity === 0 ? null : figures.seated / figures.capacity,
        sessionsHeld: cohort.held,
        attendances: cohort.attended,
        attendanceRate: expected === 0 ? null : cohort.attended / expected,
      },
    ];
  });
}
