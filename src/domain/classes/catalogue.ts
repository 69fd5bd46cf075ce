import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import type { GridDirectory } from "../grid/directory.ts";
import type { Bilingual } from "../grid/index.ts";
import type { ClassesService, CohortInfo, CohortView, CourseView, EnrolmentWindow } from "./classes.ts";
import type { ClassesContext } from "./context.ts";
import { seatFigures, sessionInfo, type SeatFigures } from "./seats.ts";

/*
 * The catalogue residents browse: courses, cohorts and their sessions as the
 * town data and staff describe them, kept in memory, with seat figures read
 * from the database whenever a cohort is shown.
 */

/**
 * The longest the in-memory catalogue (courses, cohorts, sessions, neighbourhood
 * names) is used before it is read again. Changes made through this process
 * (a moved session) and re-imports seen by the grid refresh apply at once; this
 * bounds how long another instance's session change takes to show here.
 */
export const CATALOGUE_MAX_AGE_MS = 60_000;

const cohortInclude = {
  course: true,
  sessions: { orderBy: { position: "asc" } },
} as const satisfies Prisma.CohortInclude;
type LoadedCohort = Prisma.CohortGetPayload<{ include: typeof cohortInclude }>;

/** A cohort of the town by code, with its course and its sessions in order; null when the town has none by that code. */
export const findCohort = (db: PrismaClient | Prisma.TransactionClient, townCode: string, code: string) =>
  db.cohort.findUnique({ where: { townCode_code: { townCode, code } }, include: cohortInclude });

/** Where the cohort's enrolment window stands at `now`. */
export const windowOf = (cohort: { enrolmentOpensAt: Date; enrolmentClosesAt: Date }, now: Date): EnrolmentWindow =>
  now < cohort.enrolmentOpensAt ? "notOpenYet" : now < cohort.enrolmentClosesAt ? "open" : "closed";

/** The cohort as the catalogue keeps it; `enrolment` is set again from the clock whenever it is shown. */
export const infoOf = (cohort: Omit<LoadedCohort, "capacity" | "queueCounter">, now: Date): CohortInfo => ({
  code: cohort.code,
  courseCode: cohort.course.code,
  course: { zh: cohort.course.name, en: cohort.course.nameEn },
  title: { zh: cohort.title, en: cohort.titleEn },
  enrolmentOpensAt: cohort.enrolmentOpensAt,
  enrolmentClosesAt: cohort.enrolmentClosesAt,
  enrolment: windowOf(cohort, now),
  eligibility: { zh: cohort.eligibility, en: cohort.eligibilityEn },
  location: { zh: cohort.location, en: cohort.locationEn },
  neighbourhoodCodes: cohort.neighbourhoodCodes,
  completionShare: cohort.completionShare,
  sessions: cohort.sessions.map(sessionInfo),
});

const current = (info: CohortInfo, now: Date): CohortInfo => ({ ...info, enrolment: windowOf(info, now) });

/** The cohort as residents browse it at `now`, with the seat figures just read. */
export const cohortView = (info: CohortInfo, figures: SeatFigures, now: Date): CohortView => ({
  ...current(info, now),
  capacity: figures.capacity,
  seated: figures.seated,
  seatsLeft: Math.max(0, figures.capacity - figures.seated),
  waitlistLength: figures.waiting,
});

/** A cohort in the catalogue, with what a listing needs besides its {@link CohortInfo}. */
interface CatalogueCohort {
  id: string;
  info: CohortInfo;
  courseDescription: Bilingual;
}

/** What the catalogue keeps: everything of a town's cohorts except what changes with seats (capacity, arrival counter). */
interface CatalogueContents {
  /** In listing order: course, then cohort. */
  cohorts: CatalogueCohort[];
  byCode: Map<string, CatalogueCohort>;
  neighbourhoods: Map<string, Bilingual>;
}

/** One town's catalogue in memory, shared by every part of its classes service. */
export interface Catalogue {
  /** Everything the catalogue keeps, read again when it is older than {@link CATALOGUE_MAX_AGE_MS} or the grid saw a re-import. */
  contents(): Promise<CatalogueContents>;
  /** A cohort of the catalogue; a code it does not know is looked up once more, so a cohort imported since is found. */
  cohort(cohortCode: string): Promise<CatalogueCohort | undefined>;
  /** The town's neighbourhood names by code. */
  neighbourhoodNames(): Promise<Map<string, Bilingual>>;
  /** Drops what is kept, for a change made here (a moved session) to show at once. */
  forget(): void;
}

/**
 * Creates the catalogue of one town. With `grid`, it is read again as soon as
 * the grid has seen a re-import; without it, after {@link CATALOGUE_MAX_AGE_MS}.
 */
export function createCatalogue(deps: { prisma: PrismaClient; townCode: string; clock: () => Date; grid?: GridDirectory }): Catalogue {
  const { prisma, townCode } = deps;
  const read = async (): Promise<CatalogueContents> => {
    const [cohorts, neighbourhoods] = await Promise.all([
      prisma.cohort.findMany({
        where: { townCode },
        include: cohortInclude,
        orderBy: [{ course: { sortOrder: "asc" } }, { sortOrder: "asc" }],
      }),
      prisma.neighbourhood.findMany({ where: { district: { townCode } }, select: { code: true, name: true, nameEn: true } }),
    ]);
    const entries = cohorts.map(
      (cohort): CatalogueCohort => ({
        id: cohort.id,
        info: infoOf(cohort, deps.clock()),
        courseDescription: { zh: cohort.course.description, en: cohort.course.descriptionEn },
      }),
    );
    return {
      cohorts: entries,
      byCode: new Map(entries.map((entry) => [entry.info.code, entry])),
      neighbourhoods: new Map(neighbourhoods.map((n) => [n.code, { zh: n.name, en: n.nameEn }])),
    };
  };
  // Courses, cohorts and sessions change only by import and by staff moving a session, yet every
  // listing and sign-up step shows them: read them once, share the one read among concurrent callers
  // (as the reports service does with categories), and read again after a re-import (a new grid
  // index), a session moved here, or CATALOGUE_MAX_AGE_MS. A failed read is not kept.
  let cached: { index: GridDirectory["index"] | undefined; readAt: number; contents: Promise<CatalogueContents> } | undefined;
  const contents = (): Promise<CatalogueContents> => {
    const index = deps.grid?.index;
    const at = Date.now();
    if (!cached || cached.index !== index || at - cached.readAt >= CATALOGUE_MAX_AGE_MS) {
      const reading = read();
      const entry = { index, readAt: at, contents: reading };
      cached = entry;
      reading.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.contents;
  };
  const forget = () => {
    cached = undefined;
  };
  return {
    contents,
    forget,
    async cohort(cohortCode) {
      const known = (await contents()).byCode.get(cohortCode);
      if (known) return known;
      forget();
      return (await contents()).byCode.get(cohortCode);
    },
    neighbourhoodNames: async () => (await contents()).neighbourhoods,
  };
}

/** The service's catalogue methods: open courses and one cohort, with or without its seat figures. */
export function catalogueMethods(ctx: ClassesContext): Pick<ClassesService, "openCourses" | "cohort" | "cohortInfo"> {
  const { db, townCode, clock, catalogue } = ctx;
  return {
    async openCourses() {
      const closesAfter = clock();
      const [{ cohorts }, figures] = await Promise.all([catalogue.contents(), seatFigures(db, { townCode, closesAfter })]);
      const seats = new Map(figures.map((f) => [f.cohortId, f]));
      const courses = new Map<string, CourseView>();
      for (const { id, info, courseDescription } of cohorts) {
        // The figures are read from the database now: a cohort it no longer has, or whose enrolment closed, is not listed.
        const cohortSeats = info.enrolmentClosesAt > closesAfter ? seats.get(id) : undefined;
        if (!cohortSeats) continue;
        const course = courses.get(info.courseCode) ?? {
          code: info.courseCode,
          name: info.course,
          description: courseDescription,
          cohorts: [],
        };
        course.cohorts.push(cohortView(info, cohortSeats, clock()));
        courses.set(info.courseCode, course);
      }
      return [...courses.values()];
    },

    async cohort(cohortCode) {
      const entry = await catalogue.cohort(cohortCode);
      const [figures] = entry ? await seatFigures(db, { cohortId: entry.id }) : [];
      return entry && figures ? cohortView(entry.info, figures, clock()) : undefined;
    },

    async cohortInfo(cohortCode) {
      const entry = await catalogue.cohort(cohortCode);
      return entry && current(entry.info, clock());
    },
  };
}
