import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { GridDirectory } from "../grid/directory.ts";
import type { Bilingual } from "../grid/index.ts";
import type { ChatIdentity } from "../reports/service.ts";
import { createStaffRegistry, type StaffIdentity, type StaffRegistry } from "../staff/registry.ts";
import { databaseWebSessions } from "../staff/web-session-table.ts";
import type { Sql } from "../../db/sql.ts";
import { catalogueMethods, createCatalogue } from "./catalogue.ts";
import type { ClassesContext } from "./context.ts";
import { enrolmentMethods } from "./enrolment.ts";
import { rosterMethods } from "./roster.ts";
import type { SessionInfo } from "./seats.ts";
import { sessionMethods } from "./sessions.ts";
import { talentMethods } from "./talent.ts";

// The module's public face: flows and tests import these two helpers with the service they belong to.
export { normalizeMobile } from "./personal-data.ts";
export { sessionsToComplete } from "./roster.ts";

/*
 * Community-talent classes (issue 5): residents browse the governance
 * academy's cohorts, sign up for a seat or a waitlist place, cancel, see their
 * enrolments; academy staff run rosters, check-in and broadcasts; a talent pool
 * (资源库) can be searched by skill. Every answer is a discriminated union the
 * chat flows translate; mobile numbers are stored for staff and never logged.
 *
 * This file is the service's contract and its factory. The work is done by
 * catalogue.ts (what residents browse), enrolment.ts (a resident's sign-up,
 * cancellation and own classes), roster.ts (staff: seats, roster, check-in),
 * sessions.ts (reminders, moved sessions, broadcasts) and talent.ts (the
 * talent pool), sharing context.ts; seats.ts allocates seats for the service
 * and the town-data import alike.
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

/** The payload of a reminder row (CLASS_REMINDER_KIND in seats.ts), and of a moved session's notice (CLASS_CHANGED_KIND). */
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

/** The payload of a staff broadcast row (CLASS_BROADCAST_KIND in seats.ts). */
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
   * re-import, shows within CATALOGUE_MAX_AGE_MS of catalogue.ts).
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

/**
 * Creates the classes service of one town. `sql` is the same database as
 * `prisma` through its driver: enrolments, attendance, the talent pool and the
 * outbox are read and written on it, while courses, cohorts and sessions stay
 * Prisma's (decision record 0007). `staff` defaults to the town's staff
 * registry on the same database; `timeZone` is the zone roster times are
 * written in (CSV cells carry no zone). With `grid`, the in-memory catalogue is
 * read again as soon as the grid has seen a re-import; without it, after
 * CATALOGUE_MAX_AGE_MS (catalogue.ts).
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
  const { prisma, townCode } = deps;
  const clock = deps.clock ?? (() => new Date());
  const registry =
    deps.staff ?? createStaffRegistry({ prisma, sql: deps.sql, townCode, webSessions: databaseWebSessions(deps.sql), clock });
  const ctx: ClassesContext = {
    prisma,
    db: deps.sql,
    townCode,
    timeZone: deps.timeZone,
    clock,
    async academyStaff(who) {
      const staff = await registry.find(who);
      return staff && (staff.role === "ACADEMY_STAFF" || staff.role === "ADMIN") ? staff : undefined;
    },
    catalogue: createCatalogue({ prisma, townCode, clock, grid: deps.grid }),
  };
  return {
    ...catalogueMethods(ctx),
    ...enrolmentMethods(ctx),
    ...rosterMethods(ctx),
    ...sessionMethods(ctx),
    ...talentMethods(ctx),
  };
}
