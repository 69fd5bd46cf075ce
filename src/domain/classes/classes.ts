import { randomInt, randomUUID } from "node:crypto";
import { prismaSql, sql, type Sql } from "../../db/sql.ts";
import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { chatUserUpsert, upsertChatUser } from "../chat-users.ts";
import type { GridDirectory } from "../grid/directory.ts";
import type { Bilingual } from "../grid/index.ts";
import { normalize } from "../grid/text.ts";
import type { ChatIdentity } from "../reports/service.ts";
import {
  CODE_ALPHABET,
  createStaffRegistry,
  normalizeCode,
  type StaffIdentity,
  type StaffMemberInfo,
  type StaffRegistry,
} from "../staff/registry.ts";
import { localDateTimeOf } from "../time/zone.ts";
import { toCsv } from "./csv.ts";
import {
  CLASS_BROADCAST_KIND,
  CLASS_CHANGED_KIND,
  CLASS_REMINDER_KIND,
  fillSeats,
  localeOf,
  lockCohort,
  seatFigures,
  sessionInfo,
  takeQueueNumber,
  type SeatFigures,
  type SessionInfo,
} from "./seats.ts";

/*
 * Community-talent classes (issue 5): residents browse the governance
 * academy's cohorts, sign up for a seat or a waitlist place, cancel, see their
 * enrolments; academy staff run rosters, check-in and broadcasts; a talent pool
 * (资源库) can be searched by skill. Every answer is a discriminated union the
 * chat flows translate; mobile numbers are stored for staff and never logged.
 */

/** A member of staff acting, identified by their chat account. */
export type StaffWho = Pick<StaffIdentity, "channel" | "userId">;

/** Where a cohort's enrolment window stands at the service's clock. */
export type EnrolmentWindow = "notOpenYet" | "open" | "closed";

/** A cohort as residents browse it. */
export interface CohortView extends CohortInfo {
  capacity: number;
  seated: number;
  seatsLeft: number;
  waitlistLength: number;
}

/** A cohort as the town data and staff describe it, without its seat figures (which change with every sign-up). */
export interface CohortInfo {
  code: string;
  courseCode: string;
  course: Bilingual;
  title: Bilingual;
  enrolmentOpensAt: Date;
  enrolmentClosesAt: Date;
  enrolment: EnrolmentWindow;
  eligibility: Bilingual;
  location: Bilingual;
  /** Neighbourhoods whose residents may enrol; empty: the whole town. */
  neighbourhoodCodes: string[];
  /** Share of sessions (0–1] to attend for completion. */
  completionShare: number;
  sessions: SessionInfo[];
}

/** A course with the cohorts a listing shows. */
export interface CourseView {
  code: string;
  name: Bilingual;
  description: Bilingual;
  cohorts: CohortView[];
}

/** What a resident gives to sign up. Nothing is stored unless `privacyAccepted` is true. */
export interface SignUp {
  name: string;
  /** Mainland mobile; spaces, dashes and a +86 prefix are accepted. */
  mobile: string;
  neighbourhoodCode: string;
  /** Optional skills and interests; non-empty ones also enter the talent pool. */
  skills?: string[];
  privacyAccepted: boolean;
}

/** Refusals shared by sign-up and talent registration, checked before anything is stored. */
export type PersonalDataRefusal =
  | { type: "privacyNotAccepted" }
  | { type: "invalidName" }
  | { type: "invalidMobile" }
  | { type: "unknownNeighbourhood" };

export type EnrolResult =
  | { type: "seated"; cohortCode: string; checkInCode: string }
  /** `position` is 1 for the next person to get a seat. */
  | { type: "waitlisted"; cohortCode: string; position: number; checkInCode: string }
  /** The resident, or anyone with the same mobile number on another chat account, already holds this place. */
  | { type: "alreadyEnrolled"; cohortCode: string; status: "SEATED" | "WAITLISTED"; position: number | null }
  | { type: "unknownCohort" }
  | { type: "notOpenYet"; opensAt: Date }
  | { type: "enrolmentClosed" }
  /** The cohort is only for residents of these neighbourhoods. */
  | { type: "notEligible"; neighbourhoodCodes: string[] }
  | PersonalDataRefusal;

export type CancelResult =
  /** `promoted` waitlisted residents got the freed seat (and were told through the outbox). */
  | { type: "cancelled"; wasSeated: boolean; promoted: number }
  | { type: "notEnrolled" }
  | { type: "unknownCohort" }
  /** A seat cannot be given up once the cohort's first session has started. */
  | { type: "cancelAfterStart" };

/** One of a resident's live enrolments (seated or waitlisted). */
export interface MyEnrolment {
  cohortCode: string;
  course: Bilingual;
  cohort: Bilingual;
  status: "SEATED" | "WAITLISTED";
  waitlistPosition: number | null;
  /** The first session not yet ended, or null when the cohort is over. */
  nextSession: SessionInfo | null;
  /** Only a seated resident has a code to show at check-in. */
  checkInCode: string | null;
  attended: number;
  sessions: number;
  completed: boolean;
}

export type NotAllowed = { type: "notAllowed" };
export type UnknownCohort = { type: "unknownCohort" };

export type SetCapacityResult =
  | { type: "updated"; capacity: number; seated: number; promoted: number }
  | { type: "belowSeated"; seated: number }
  | { type: "invalidCapacity" }
  | UnknownCohort
  | NotAllowed;

export type EnrolmentStatusName = "SEATED" | "WAITLISTED" | "CANCELLED";

/** One line of a roster, for academy staff only (it carries the mobile number). */
export interface RosterEntry {
  name: string;
  mobile: string;
  neighbourhoodCode: string;
  neighbourhood: Bilingual | null;
  skills: string[];
  status: EnrolmentStatusName;
  waitlistPosition: number | null;
  checkInCode: string;
  attended: number;
  completed: boolean;
  enrolledAt: Date;
  cancelledAt: Date | null;
}

export type RosterResult = { type: "roster"; cohort: CohortView; entries: RosterEntry[] } | UnknownCohort | NotAllowed;
export type RosterCsvResult = { type: "csv"; fileName: string; content: Buffer } | UnknownCohort | NotAllowed;

/** A session named by its id, or by its cohort and 1-based index. */
export type SessionRef = { sessionId: string } | { cohortCode: string; sessionIndex: number };

export type CheckInResult =
  | { type: "checkedIn"; name: string; sessionIndex: number; attended: number; sessions: number; completed: boolean }
  | { type: "alreadyCheckedIn"; name: string; sessionIndex: number }
  /** No seated resident of this session's cohort has the code. */
  | { type: "wrongCode" }
  | { type: "unknownSession" }
  | NotAllowed;

/** A session moved in time or place; seated residents are told. */
export interface SessionChange {
  startsAt: Date;
  endsAt: Date;
  place: Bilingual;
}

export type UpdateSessionResult =
  | { type: "updated"; notified: number }
  /** Ends before it starts, or lasts longer than a session may. */
  | { type: "invalidTime" }
  /** It would overlap the session before or after it, whose order is fixed. */
  | { type: "overlaps" }
  /** Someone already checked in: a session that took place is history. */
  | { type: "alreadyHeld" }
  | { type: "unknownSession" }
  | NotAllowed;

export type BroadcastResult = { type: "queued"; recipients: number } | { type: "emptyText" } | UnknownCohort | NotAllowed;

/** What a resident gives to join the talent pool. */
export interface TalentSignUp {
  name: string;
  mobile: string;
  neighbourhoodCode: string;
  skills: string[];
  /** Free text, e.g. 周末下午. */
  availability: string;
  privacyAccepted: boolean;
}

export type RegisterTalentResult = { type: "registered" } | { type: "updated" } | { type: "noSkills" } | PersonalDataRefusal;

/** A talent as staff see it when searching the pool. */
export interface TalentView {
  name: string;
  mobile: string;
  neighbourhoodCode: string;
  neighbourhood: Bilingual | null;
  skills: string[];
  availability: string;
  registeredAt: Date;
}

export type SearchTalentResult = { type: "found"; talents: TalentView[] } | NotAllowed;

/** The payload of a {@link CLASS_REMINDER_KIND} row. */
export interface ClassReminderPayload {
  cohortCode: string;
  course: Bilingual;
  cohort: Bilingual;
  sessionIndex: number;
  /** ISO 8601. */
  startsAt: string;
  endsAt: string;
  place: Bilingual;
  topic: Bilingual;
  locale: "zh" | "en";
}

/** The payload of a {@link CLASS_BROADCAST_KIND} row. */
export interface ClassBroadcastPayload {
  cohortCode: string;
  course: Bilingual;
  cohort: Bilingual;
  /** As staff wrote it. */
  text: string;
  /** The sender's staff label, e.g. 社区学校工作人员. */
  from: string;
  locale: "zh" | "en";
}

/**
 * The classes service of one town. Resident methods take the chat identity;
 * staff methods take the acting account first and answer `notAllowed` unless it
 * is active ACADEMY_STAFF or ADMIN. Seat changes (enrol, cancel, setCapacity)
 * run under the cohort's row lock, so seats are never overbooked and the
 * waitlist keeps arrival order, on PostgreSQL and PGlite.
 */
export interface ClassesService {
  /** Courses with cohorts whose enrolment has not closed (open now or opening later), in the file's order. */
  openCourses(): Promise<CourseView[]>;
  /** Any cohort of the town by code, whatever its window; undefined when unknown. */
  cohort(cohortCode: string): Promise<CohortView | undefined>;
  /**
   * Like {@link ClassesService.cohort} without the seat figures, for answers
   * that only name the cohort or check its window: served from memory, so it
   * costs no query (a session moved by staff on another instance, or a
   * re-import, shows within {@link CATALOGUE_MAX_AGE_MS}).
   */
  cohortInfo(cohortCode: string): Promise<CohortInfo | undefined>;
  /**
   * Seats the resident when a seat is free and nobody waits, otherwise waitlists
   * them. One place per person per cohort: a mobile number that holds a place
   * (from any chat account) is answered with that place.
   */
  enrol(cohortCode: string, user: ChatIdentity, signUp: SignUp): Promise<EnrolResult>;
  /** Gives up a seat or waitlist place; a freed seat goes to the first waitlisted resident at once. */
  cancel(cohortCode: string, user: Pick<ChatIdentity, "channel" | "userId">): Promise<CancelResult>;
  /** The resident's seated and waitlisted enrolments in this town, soonest cohort first. */
  myEnrolments(user: Pick<ChatIdentity, "channel" | "userId">): Promise<MyEnrolment[]>;
  /** Changes a cohort's seats; never below the seated count; raising it seats waitlisted residents. */
  setCapacity(staff: StaffWho, cohortCode: string, capacity: number): Promise<SetCapacityResult>;
  /** Seated, then waitlisted (in order), then cancelled enrolments. */
  roster(staff: StaffWho, cohortCode: string): Promise<RosterResult>;
  /** The roster as a CSV file that opens correctly in Excel (UTF-8 with BOM, formula-safe). */
  rosterCsv(staff: StaffWho, cohortCode: string): Promise<RosterCsvResult>;
  /** Records a seated resident's attendance by their check-in code; marks completion at the cohort's share. */
  checkIn(staff: StaffWho, session: SessionRef, code: string): Promise<CheckInResult>;
  /**
   * Queues one reminder per seated resident per session starting in (now, now + leadHours],
   * each at most once ever (dedupe key `class-reminder:<enrolment>:<session>`).
   * @returns the number of reminders queued by this call
   */
  queueReminders(now?: Date, leadHours?: number): Promise<number>;
  /** Queues the text to every seated resident of the cohort (the outbox keeps channel rate limits). */
  broadcast(staff: StaffWho, cohortCode: string, text: string): Promise<BroadcastResult>;
  /** Moves a session (1-based index) to a new time and place and tells everyone seated (outbox kind `class.changed`). */
  updateSession(staff: StaffWho, cohortCode: string, sessionIndex: number, change: SessionChange): Promise<UpdateSessionResult>;
  /** Adds or updates the resident's entry in the talent pool. */
  registerTalent(user: ChatIdentity, talent: TalentSignUp): Promise<RegisterTalentResult>;
  /** Talents with a skill containing `skill` (any case or width), optionally in one neighbourhood, newest first. */
  searchTalent(staff: StaffWho, skill: string, neighbourhoodCode?: string): Promise<SearchTalentResult>;
}

/** Reminders go out this long before a session unless the caller says otherwise (the day before). */
export const REMINDER_LEAD_HOURS_DEFAULT = 24;

/** Mainland mobile numbers: 11 digits starting 13–19. */
const MOBILE = /^1[3-9]\d{9}$/;
const CHECK_IN_CODE_LENGTH = 6;
const MAX_NAME = 40;
const MAX_SKILLS = 10;
const MAX_SKILL_LENGTH = 30;
const MAX_AVAILABILITY = 200;
const MAX_BROADCAST = 2000;
/** The longest a session may last, as the town data allows. */
const MAX_SESSION_MS = 12 * 3_600_000;
const MAX_CAPACITY = 10_000;
const MAX_TALENT_RESULTS = 50;
const HOUR = 3_600_000;
// Staff changes queue behind a burst of sign-ups on one cohort's lock (and, on PGlite, on one connection): wait longer than Prisma's 5 s.
const TRANSACTION_OPTIONS = { timeout: 60_000, maxWait: 60_000 };

type Tx = Prisma.TransactionClient;
type Db = PrismaClient | Tx;

/** A mobile number as typed (spaces, dashes, +86) reduced to its 11 digits; undefined when it is not a mainland mobile. */
export function normalizeMobile(input: string): string | undefined {
  const digits = input.replace(/[\s\-()]/g, "").replace(/^(?:\+?86)(?=1\d{10}$)/, "");
  return MOBILE.test(digits) ? digits : undefined;
}

/** How many sessions of `total` a resident must attend to complete a cohort with this share. */
export function sessionsToComplete(share: number, total: number): number {
  // The epsilon keeps 0.75 × 8 at 6 whatever the floating point makes of it.
  return Math.max(1, Math.ceil(share * total - 1e-9));
}

function cleanSkills(skills: readonly string[] | undefined): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of skills ?? []) {
    const skill = raw.trim().slice(0, MAX_SKILL_LENGTH);
    if (skill === "" || seen.has(normalize(skill))) continue;
    seen.add(normalize(skill));
    out.push(skill);
  }
  return out.slice(0, MAX_SKILLS);
}

/** Validates the personal data shared by sign-up and the talent pool, in the order a resident is asked to fix it. */
function checkPersonalData(input: {
  name: string;
  mobile: string;
  privacyAccepted: boolean;
}): PersonalDataRefusal | { name: string; mobile: string } {
  if (!input.privacyAccepted) return { type: "privacyNotAccepted" };
  const name = input.name.trim();
  if (name === "" || name.length > MAX_NAME) return { type: "invalidName" };
  const mobile = normalizeMobile(input.mobile);
  if (mobile === undefined) return { type: "invalidMobile" };
  return { name, mobile };
}

const cohortInclude = {
  course: true,
  sessions: { orderBy: { position: "asc" } },
} as const satisfies Prisma.CohortInclude;
type LoadedCohort = Prisma.CohortGetPayload<{ include: typeof cohortInclude }>;

/**
 * The longest the in-memory catalogue (courses, cohorts, sessions, neighbourhood
 * names) is used before it is read again. Changes made through this process
 * (a moved session) and re-imports seen by the grid refresh apply at once; this
 * bounds how long another instance's session change takes to show here.
 */
export const CATALOGUE_MAX_AGE_MS = 60_000;

/** A cohort in the catalogue, with what a listing needs besides its {@link CohortInfo}. */
interface CatalogueCohort {
  id: string;
  info: CohortInfo;
  courseDescription: Bilingual;
}

/** What the catalogue keeps: everything of a town's cohorts except what changes with seats (capacity, arrival counter). */
interface Catalogue {
  /** In listing order: course, then cohort. */
  cohorts: CatalogueCohort[];
  byCode: Map<string, CatalogueCohort>;
  neighbourhoods: Map<string, Bilingual>;
}

/** The row the enrolment reads under the cohort's lock. */
type LockedCohort = { id: string; code: string; enrolmentOpensAt: Date; enrolmentClosesAt: Date; neighbourhoodCodes: string[] };
/** A resident's earlier enrolment in a cohort, as a new sign-up checks it. */
type EarlierEnrolment = { id: string; status: EnrolmentStatusName; queueNumber: number };
/** What a sign-up writes into its enrolment, new or renewed. */
/** An enrolment that holds a seat or a waiting place. */
const holdsPlace = (enrolment: EarlierEnrolment | null | undefined): enrolment is EarlierEnrolment & { status: "SEATED" | "WAITLISTED" } =>
  enrolment !== null && enrolment !== undefined && enrolment.status !== "CANCELLED";

type EnrolmentFields = {
  name: string;
  mobile: string;
  neighbourhoodCode: string;
  skills: string[];
  status: "SEATED" | "WAITLISTED";
  queueNumber: number;
  now: Date;
};
/** {@link EnrolmentFields} as `$n` parameters, in the order both the insert and the update of a sign-up expect them after their own. */
const enrolmentParams = (f: EnrolmentFields) => [
  f.name,
  f.mobile,
  f.neighbourhoodCode,
  f.skills,
  f.status,
  f.queueNumber,
  f.now,
  f.status === "SEATED" ? f.now : null,
];
/** A resident's seated or waitlisted enrolment with what {@link MyEnrolment} shows of it. */
type LiveEnrolment = {
  cohortId: string;
  status: "SEATED" | "WAITLISTED";
  checkInCode: string;
  completedAt: Date | null;
  code: string;
  title: string;
  titleEn: string;
  courseName: string;
  courseNameEn: string;
  attended: number;
  waitlistPosition: number | null;
};
/** A stored session and its cohort, for {@link sessionInfo}. */
type SessionRow = Parameters<typeof sessionInfo>[0] & { cohortId: string };

/**
 * Creates the classes service of one town. `sql` is the same database as
 * `prisma` through its driver: the resident steps (sign-up, cancellation, own
 * enrolments) run on it. `staff` defaults to the town's staff registry on the
 * same database; `timeZone` is the zone roster times are
 * written in (CSV cells carry no zone). With `grid`, the in-memory catalogue is
 * read again as soon as the grid has seen a re-import; without it, after
 * {@link CATALOGUE_MAX_AGE_MS}.
 */
export function createClassesService(deps: {
  prisma: PrismaClient;
  sql: Sql;
  townCode: string;
  clock?: () => Date;
  staff?: StaffRegistry;
  timeZone: string;
  grid?: GridDirectory;
}): ClassesService {
  const { prisma, sql: db, townCode } = deps;
  const clock = deps.clock ?? (() => new Date());
  const registry = deps.staff ?? createStaffRegistry({ prisma, sql: db, townCode, clock });

  const academyStaff = async (who: StaffWho): Promise<StaffMemberInfo | undefined> => {
    const staff = await registry.find(who);
    return staff && (staff.role === "ACADEMY_STAFF" || staff.role === "ADMIN") ? staff : undefined;
  };

  const findCohort = (db: Db, code: string) =>
    db.cohort.findUnique({ where: { townCode_code: { townCode, code } }, include: cohortInclude });

  const windowOf = (cohort: { enrolmentOpensAt: Date; enrolmentClosesAt: Date }, now: Date): EnrolmentWindow =>
    now < cohort.enrolmentOpensAt ? "notOpenYet" : now < cohort.enrolmentClosesAt ? "open" : "closed";

  /** 1 for the next to be seated: waitlisted enrolments that arrived no later than `queueNumber`. */
  const waitlistPosition = async (db: Sql, cohortId: string, queueNumber: number) =>
    (
      await db.query<{ position: number }>(
        `SELECT COUNT(*)::int AS "position" FROM "Enrolment" WHERE "cohortId" = $1 AND "status" = 'WAITLISTED' AND "queueNumber" <= $2`,
        [cohortId, queueNumber],
      )
    )[0]!.position;

  /** The cohort as the catalogue keeps it; `enrolment` is set again from the clock whenever it is shown. */
  const infoOf = (cohort: Omit<LoadedCohort, "capacity" | "queueCounter">): CohortInfo => ({
    code: cohort.code,
    courseCode: cohort.course.code,
    course: { zh: cohort.course.name, en: cohort.course.nameEn },
    title: { zh: cohort.title, en: cohort.titleEn },
    enrolmentOpensAt: cohort.enrolmentOpensAt,
    enrolmentClosesAt: cohort.enrolmentClosesAt,
    enrolment: windowOf(cohort, clock()),
    eligibility: { zh: cohort.eligibility, en: cohort.eligibilityEn },
    location: { zh: cohort.location, en: cohort.locationEn },
    neighbourhoodCodes: cohort.neighbourhoodCodes,
    completionShare: cohort.completionShare,
    sessions: cohort.sessions.map(sessionInfo),
  });

  const current = (info: CohortInfo): CohortInfo => ({ ...info, enrolment: windowOf(info, clock()) });

  const view = (info: CohortInfo, figures: SeatFigures): CohortView => ({
    ...current(info),
    capacity: figures.capacity,
    seated: figures.seated,
    seatsLeft: Math.max(0, figures.capacity - figures.seated),
    waitlistLength: figures.waiting,
  });

  const readCatalogue = async (): Promise<Catalogue> => {
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
        info: infoOf(cohort),
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
  let cachedCatalogue: { index: GridDirectory["index"] | undefined; readAt: number; catalogue: Promise<Catalogue> } | undefined;
  const catalogue = (): Promise<Catalogue> => {
    const index = deps.grid?.index;
    const at = Date.now();
    if (!cachedCatalogue || cachedCatalogue.index !== index || at - cachedCatalogue.readAt >= CATALOGUE_MAX_AGE_MS) {
      const read = readCatalogue();
      const entry = { index, readAt: at, catalogue: read };
      cachedCatalogue = entry;
      read.catch(() => {
        if (cachedCatalogue === entry) cachedCatalogue = undefined;
      });
    }
    return cachedCatalogue.catalogue;
  };
  const forgetCatalogue = () => {
    cachedCatalogue = undefined;
  };
  /** A cohort of the catalogue; a code it does not know is looked up once more, so a cohort imported since is found. */
  const catalogueCohort = async (cohortCode: string): Promise<CatalogueCohort | undefined> => {
    const known = (await catalogue()).byCode.get(cohortCode);
    if (known) return known;
    forgetCatalogue();
    return (await catalogue()).byCode.get(cohortCode);
  };
  const neighbourhoodNames = async () => (await catalogue()).neighbourhoods;

  /**
   * Creates the enrolment with a check-in code no other enrolment of the cohort
   * has: a drawn code that is taken makes the insert do nothing, and another is
   * drawn. The caller holds the cohort lock. Returns the code.
   */
  const insertEnrolment = async (tx: Sql, cohortId: string, userId: string, fields: EnrolmentFields): Promise<string> => {
    for (;;) {
      const code = Array.from({ length: CHECK_IN_CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join("");
      const [row] = await tx.query<{ checkInCode: string }>(
        `INSERT INTO "Enrolment" ("id", "cohortId", "userId", "checkInCode", "name", "mobile", "neighbourhoodCode", "skills", "status", "queueNumber", "privacyAcceptedAt", "createdAt", "seatedAt")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9::"EnrolmentStatus", $10, $11, $11, $12)
         ON CONFLICT ("cohortId", "checkInCode") DO NOTHING
         RETURNING "checkInCode"`,
        [randomUUID(), cohortId, userId, code, ...enrolmentParams(fields)],
      );
      if (row) return row.checkInCode;
    }
  };

  /** Adds skills to the resident's talent-pool entry, creating it (with no availability yet) if needed. */
  const addToTalentPool = async (
    tx: Sql,
    userId: string,
    person: { name: string; mobile: string; neighbourhoodCode: string; skills: string[] },
    now: Date,
  ) => {
    const [existing] = await tx.query<{ skills: string[] }>(
      `SELECT "skills" FROM "TalentProfile" WHERE "townCode" = $1 AND "userId" = $2`,
      [townCode, userId],
    );
    // Skills are merged here, not in SQL: two spellings of one skill are the same skill (normalize).
    const skills = cleanSkills([...(existing?.skills ?? []), ...person.skills]);
    await tx.query(
      `INSERT INTO "TalentProfile" ("id", "townCode", "userId", "name", "mobile", "neighbourhoodCode", "skills", "availability", "consentAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, $6, $7::text[], '', $8, $8)
       ON CONFLICT ("townCode", "userId") DO UPDATE SET
         "name" = EXCLUDED."name", "mobile" = EXCLUDED."mobile", "neighbourhoodCode" = EXCLUDED."neighbourhoodCode",
         "skills" = EXCLUDED."skills", "consentAt" = EXCLUDED."consentAt", "updatedAt" = EXCLUDED."updatedAt"`,
      [randomUUID(), townCode, userId, person.name, person.mobile, person.neighbourhoodCode, skills, now],
    );
  };

  return {
    async openCourses() {
      const closesAfter = clock();
      const [{ cohorts }, figures] = await Promise.all([catalogue(), seatFigures(db, { townCode, closesAfter })]);
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
        course.cohorts.push(view(info, cohortSeats));
        courses.set(info.courseCode, course);
      }
      return [...courses.values()];
    },

    async cohort(cohortCode) {
      const entry = await catalogueCohort(cohortCode);
      const [figures] = entry ? await seatFigures(db, { cohortId: entry.id }) : [];
      return entry && figures ? view(entry.info, figures) : undefined;
    },

    async cohortInfo(cohortCode) {
      const entry = await catalogueCohort(cohortCode);
      return entry && current(entry.info);
    },

    async enrol(cohortCode, user, signUp) {
      const person = checkPersonalData(signUp);
      if ("type" in person) return person;
      const skills = cleanSkills(signUp.skills);
      const neighbourhoods = await neighbourhoodNames();
      // One transaction on the driver, under the cohort's row lock (READ COMMITTED, as every seat change):
      // concurrent sign-ups for the last seat queue on the lock and each sees the seats taken before it.
      return db.transaction(async (tx): Promise<EnrolResult> => {
        // One statement takes the cohort's lock (as lockCohort does) and reads what the refusals need.
        const [cohort] = await tx.query<LockedCohort>(
          `SELECT "id", "code", "enrolmentOpensAt", "enrolmentClosesAt", "neighbourhoodCodes" FROM "Cohort"
           WHERE "townCode" = $1 AND "code" = $2 FOR UPDATE`,
          [townCode, cohortCode],
        );
        if (!cohort) return { type: "unknownCohort" };
        if (!neighbourhoods.has(signUp.neighbourhoodCode)) return { type: "unknownNeighbourhood" };
        // The clock is read under the lock: arrival order is the order residents got the lock.
        const now = clock();
        const window = windowOf(cohort, now);
        if (window === "notOpenYet") return { type: "notOpenYet", opensAt: cohort.enrolmentOpensAt };
        if (window === "closed") return { type: "enrolmentClosed" };
        if (cohort.neighbourhoodCodes.length > 0 && !cohort.neighbourhoodCodes.includes(signUp.neighbourhoodCode)) {
          return { type: "notEligible", neighbourhoodCodes: cohort.neighbourhoodCodes };
        }
        // The resident's account, their earlier enrolment in this cohort and a place someone holds
        // with this mobile number (one person, one place, however many chat accounts), in one statement.
        const [account] = await tx.query<{ userId: string; earlier: EarlierEnrolment | null; sameMobile: EarlierEnrolment | null }>(
          sql`WITH "user" AS (${chatUserUpsert(user, now)})
           SELECT u."id" AS "userId", CASE WHEN e."id" IS NULL THEN NULL ELSE json_build_object('id', e."id", 'status', e."status", 'queueNumber', e."queueNumber") END AS "earlier",
             (SELECT json_build_object('id', m."id", 'status', m."status", 'queueNumber', m."queueNumber") FROM "Enrolment" m
              WHERE m."cohortId" = ${cohort.id} AND m."mobile" = ${person.mobile} AND m."status" <> 'CANCELLED' AND m."userId" <> u."id" LIMIT 1) AS "sameMobile"
           FROM "user" u LEFT JOIN "Enrolment" e ON e."cohortId" = ${cohort.id} AND e."userId" = u."id"`,
        );
        const chatUser = { id: account!.userId };
        const existing = account!.earlier ?? undefined;
        // Sign-ups of a cohort queue on its lock, so no second place with this mobile can appear before commit.
        const held = [existing, account!.sameMobile].find(holdsPlace);
        if (held) {
          const position = held.status === "WAITLISTED" ? await waitlistPosition(tx, cohort.id, held.queueNumber) : null;
          return { type: "alreadyEnrolled", cohortCode: cohort.code, status: held.status, position };
        }
        // Read after the lock was granted, so capacity and counts include every change committed before it.
        const { queueNumber, ...figures } = await takeQueueNumber(tx, cohort.id);
        // Seats freed without a promotion (there should be none) go to those already waiting, not to this arrival.
        const promoted = figures.seated < figures.capacity && figures.waiting > 0 ? (await fillSeats(tx, cohort.id, now)).length : 0;
        const status = figures.seated + promoted < figures.capacity ? "SEATED" : "WAITLISTED";
        const fields: EnrolmentFields = {
          name: person.name,
          mobile: person.mobile,
          neighbourhoodCode: signUp.neighbourhoodCode,
          skills,
          status,
          queueNumber,
          now,
        };
        const checkInCode = existing
          ? (
              await tx.query<{ checkInCode: string }>(
                `UPDATE "Enrolment" SET "name" = $2, "mobile" = $3, "neighbourhoodCode" = $4, "skills" = $5::text[], "status" = $6::"EnrolmentStatus", "queueNumber" = $7,
                   "privacyAcceptedAt" = $8, "createdAt" = $8, "seatedAt" = $9, "cancelledAt" = NULL, "completedAt" = NULL
                 WHERE "id" = $1 RETURNING "checkInCode"`,
                [existing.id, ...enrolmentParams(fields)],
              )
            )[0]!.checkInCode
          : await insertEnrolment(tx, cohort.id, chatUser.id, fields);
        if (skills.length > 0)
          await addToTalentPool(
            tx,
            chatUser.id,
            { name: person.name, mobile: person.mobile, neighbourhoodCode: signUp.neighbourhoodCode, skills },
            now,
          );
        if (status === "SEATED") return { type: "seated", cohortCode: cohort.code, checkInCode };
        // Everyone still waiting arrived before this resident (lower queue numbers, under the lock): their place is after them.
        return { type: "waitlisted", cohortCode: cohort.code, position: figures.waiting - promoted + 1, checkInCode };
      });
    },

    async cancel(cohortCode, user) {
      return db.transaction(async (tx): Promise<CancelResult> => {
        // One statement takes the cohort's lock (as lockCohort does) and reads when its first session starts.
        const [cohort] = await tx.query<{ id: string; firstStartsAt: Date | null }>(
          `SELECT c."id", (SELECT s."startsAt" FROM "CohortSession" s WHERE s."cohortId" = c."id" ORDER BY s."position" LIMIT 1) AS "firstStartsAt"
           FROM "Cohort" c WHERE c."townCode" = $1 AND c."code" = $2 FOR UPDATE`,
          [townCode, cohortCode],
        );
        if (!cohort) return { type: "unknownCohort" };
        const now = clock();
        const [enrolment] = await tx.query<{ id: string; status: EnrolmentStatusName }>(
          `SELECT e."id", e."status" FROM "Enrolment" e JOIN "ChatUser" u ON u."id" = e."userId"
           WHERE e."cohortId" = $1 AND u."channel" = $2 AND u."channelUserId" = $3`,
          [cohort.id, user.channel, user.userId],
        );
        if (!enrolment || enrolment.status === "CANCELLED") return { type: "notEnrolled" };
        const wasSeated = enrolment.status === "SEATED";
        // Leaving the waitlist harms nobody, so only a seat is held once the cohort has begun.
        if (wasSeated && cohort.firstStartsAt && cohort.firstStartsAt <= now) return { type: "cancelAfterStart" };
        await tx.query(`UPDATE "Enrolment" SET "status" = 'CANCELLED', "cancelledAt" = $2, "seatedAt" = NULL WHERE "id" = $1`, [
          enrolment.id,
          now,
        ]);
        const promoted = wasSeated ? (await fillSeats(tx, cohort.id, now)).length : 0;
        return { type: "cancelled", wasSeated, promoted };
      });
    },

    async myEnrolments(user) {
      const rows = await db.query<LiveEnrolment>(
        `SELECT e."cohortId", e."status", e."checkInCode", e."completedAt", c."code", c."title", c."titleEn", k."name" AS "courseName", k."nameEn" AS "courseNameEn",
           (SELECT COUNT(*)::int FROM "Attendance" a WHERE a."enrolmentId" = e."id") AS "attended",
           CASE WHEN e."status" = 'WAITLISTED' THEN
             (SELECT COUNT(*)::int FROM "Enrolment" w WHERE w."cohortId" = e."cohortId" AND w."status" = 'WAITLISTED' AND w."queueNumber" <= e."queueNumber")
           END AS "waitlistPosition"
         FROM "Enrolment" e
         JOIN "ChatUser" u ON u."id" = e."userId"
         JOIN "Cohort" c ON c."id" = e."cohortId"
         JOIN "Course" k ON k."id" = c."courseId"
         WHERE u."channel" = $1 AND u."channelUserId" = $2 AND c."townCode" = $3 AND e."status" IN ('SEATED', 'WAITLISTED')`,
        [user.channel, user.userId, townCode],
      );
      if (rows.length === 0) return [];
      const sessions = await db.query<SessionRow>(
        `SELECT "id", "cohortId", "position", "startsAt", "endsAt", "place", "placeEn", "topic", "topicEn", "lecturerRole", "lecturerRoleEn"
         FROM "CohortSession" WHERE "cohortId" = ANY($1::text[]) ORDER BY "position"`,
        [rows.map((e) => e.cohortId)],
      );
      const now = clock();
      const out = rows.map((e): MyEnrolment => {
        const own = sessions.filter((s) => s.cohortId === e.cohortId);
        const next = own.find((s) => s.endsAt > now);
        const seated = e.status === "SEATED";
        return {
          cohortCode: e.code,
          course: { zh: e.courseName, en: e.courseNameEn },
          cohort: { zh: e.title, en: e.titleEn },
          status: seated ? "SEATED" : "WAITLISTED",
          waitlistPosition: seated ? null : e.waitlistPosition,
          nextSession: next ? sessionInfo(next) : null,
          checkInCode: seated ? e.checkInCode : null,
          attended: e.attended,
          sessions: own.length,
          completed: e.completedAt !== null,
        };
      });
      const firstStart = (m: MyEnrolment) => m.nextSession?.startsAt.getTime() ?? Number.POSITIVE_INFINITY;
      return out.sort((a, b) => firstStart(a) - firstStart(b));
    },

    async setCapacity(staff, cohortCode, capacity) {
      if (!(await academyStaff(staff))) return { type: "notAllowed" };
      if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) return { type: "invalidCapacity" };
      return prisma.$transaction(async (tx): Promise<SetCapacityResult> => {
        const cohort = await findCohort(tx, cohortCode);
        if (!cohort) return { type: "unknownCohort" };
        await lockCohort(prismaSql(tx), cohort.id);
        const seated = await tx.enrolment.count({ where: { cohortId: cohort.id, status: "SEATED" } });
        if (capacity < seated) return { type: "belowSeated", seated };
        await tx.cohort.update({ where: { id: cohort.id }, data: { capacity } });
        const promoted = (await fillSeats(prismaSql(tx), cohort.id, clock())).length;
        return { type: "updated", capacity, seated: seated + promoted, promoted };
      }, TRANSACTION_OPTIONS);
    },

    async roster(staff, cohortCode) {
      if (!(await academyStaff(staff))) return { type: "notAllowed" };
      const cohort = await findCohort(prisma, cohortCode);
      if (!cohort) return { type: "unknownCohort" };
      const rows = await prisma.enrolment.findMany({
        where: { cohortId: cohort.id },
        include: { _count: { select: { attendances: true } } },
        orderBy: { queueNumber: "asc" },
      });
      const names = await neighbourhoodNames();
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
      return { type: "roster", cohort: view(infoOf(cohort), figures!), entries };
    },

    async rosterCsv(staff, cohortCode) {
      const roster = await this.roster(staff, cohortCode);
      if (roster.type !== "roster") return roster;
      const status: Record<EnrolmentStatusName, string> = {
        SEATED: "已入座 Seated",
        WAITLISTED: "候补 Waitlisted",
        CANCELLED: "已取消 Cancelled",
      };
      const time = (d: Date | null) => (d ? localDateTimeOf(d, deps.timeZone) : "");
      const rows = [
        [
          "状态 Status",
          "候补顺位 Waitlist",
          "姓名 Name",
          "手机 Mobile",
          "居民区 Neighbourhood",
          "技能特长 Skills",
          "签到码 Check-in code",
          `出勤 Attended (/${roster.cohort.sessions.length})`,
          "结业 Completed",
          "报名时间 Enrolled at",
          "取消时间 Cancelled at",
        ],
        ...roster.entries.map((e) => [
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
      return { type: "csv", fileName: `${roster.cohort.code}-roster.csv`, content: toCsv(rows) };
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
        const cohort = await findCohort(tx, cohortCode);
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
        const cohort = await findCohort(tx, cohortCode);
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
      if (result.type === "updated") forgetCatalogue();
      return result;
    },

    async registerTalent(user, talent) {
      const person = checkPersonalData(talent);
      if ("type" in person) return person;
      const skills = cleanSkills(talent.skills);
      if (skills.length === 0) return { type: "noSkills" };
      if (!(await neighbourhoodNames()).has(talent.neighbourhoodCode)) return { type: "unknownNeighbourhood" };
      return prisma.$transaction(async (tx): Promise<RegisterTalentResult> => {
        const now = clock();
        const chatUser = await upsertChatUser(prismaSql(tx), user, now);
        const fields = {
          ...person,
          neighbourhoodCode: talent.neighbourhoodCode,
          skills,
          availability: talent.availability.trim().slice(0, MAX_AVAILABILITY),
          consentAt: now,
          updatedAt: now,
        };
        const existing = await tx.talentProfile.findUnique({
          where: { townCode_userId: { townCode, userId: chatUser.id } },
          select: { id: true },
        });
        if (existing) {
          await tx.talentProfile.update({ where: { id: existing.id }, data: fields });
          return { type: "updated" };
        }
        await tx.talentProfile.create({ data: { townCode, userId: chatUser.id, ...fields } });
        return { type: "registered" };
      }, TRANSACTION_OPTIONS);
    },

    async searchTalent(staff, skill, neighbourhoodCode) {
      if (!(await academyStaff(staff))) return { type: "notAllowed" };
      const wanted = normalize(skill);
      const [profiles, names] = await Promise.all([
        prisma.talentProfile.findMany({
          where: { townCode, ...(neighbourhoodCode ? { neighbourhoodCode } : {}) },
          orderBy: { updatedAt: "desc" },
        }),
        neighbourhoodNames(),
      ]);
      const talents = profiles
        .filter((p) => wanted === "" || p.skills.some((s) => normalize(s).includes(wanted)))
        .slice(0, MAX_TALENT_RESULTS)
        .map(
          (p): TalentView => ({
            name: p.name,
            mobile: p.mobile,
            neighbourhoodCode: p.neighbourhoodCode,
            neighbourhood: names.get(p.neighbourhoodCode) ?? null,
            skills: p.skills,
            availability: p.availability,
            registeredAt: p.consentAt,
          }),
        );
      return { type: "found", talents };
    },
  };
}
