import { randomInt, randomUUID } from "node:crypto";
import { sql, type Sql } from "../../db/sql.ts";
import type { Cohort, CohortSession, Course, Enrolment } from "../../generated/prisma/client.ts";
import { chatUserUpsert } from "../chat-users.ts";
import { CODE_ALPHABET } from "../staff/registry.ts";
import { windowOf } from "./catalogue.ts";
import type { CancelResult, ClassesService, EnrolResult, MyEnrolment } from "./classes.ts";
import type { ClassesContext } from "./context.ts";
import { checkPersonalData, cleanSkills } from "./personal-data.ts";
import { fillSeats, sessionInfo, takeQueueNumber } from "./seats.ts";
import { addToTalentPool } from "./talent.ts";

/*
 * A resident's own side of the classes: signing up for a seat or a waitlist
 * place, giving it up, and seeing their enrolments. Every step runs on the
 * driver, and a seat change under the cohort's row lock (seats.ts).
 */

const CHECK_IN_CODE_LENGTH = 6;

/** The row the enrolment reads under the cohort's lock. */
type LockedCohort = Pick<Cohort, "id" | "code" | "enrolmentOpensAt" | "enrolmentClosesAt" | "neighbourhoodCodes">;
/** A resident's earlier enrolment in a cohort, as a new sign-up checks it. */
type EarlierEnrolment = Pick<Enrolment, "id" | "status" | "queueNumber">;
/** An enrolment that holds a seat or a waiting place. */
const holdsPlace = (enrolment: EarlierEnrolment | null | undefined): enrolment is EarlierEnrolment & { status: "SEATED" | "WAITLISTED" } =>
  enrolment !== null && enrolment !== undefined && enrolment.status !== "CANCELLED";

/** What a sign-up writes into its enrolment, new or renewed. */
type EnrolmentFields = Pick<Enrolment, "name" | "mobile" | "neighbourhoodCode" | "skills" | "queueNumber"> & {
  status: "SEATED" | "WAITLISTED";
  now: Date;
};
/** A seat is taken when the sign-up is made; a waiting place has none yet. */
const seatedAt = (f: EnrolmentFields) => (f.status === "SEATED" ? f.now : null);
/** A resident's seated or waitlisted enrolment with what {@link MyEnrolment} shows of it. */
type LiveEnrolment = Pick<Enrolment, "cohortId" | "checkInCode" | "completedAt"> &
  Pick<Cohort, "code" | "title" | "titleEn"> & {
    status: "SEATED" | "WAITLISTED";
    courseName: Course["name"];
    courseNameEn: Course["nameEn"];
    attended: number;
    waitlistPosition: number | null;
  };
/** A stored session of a cohort, for {@link sessionInfo}. */
type SessionRow = Pick<
  CohortSession,
  "id" | "cohortId" | "position" | "startsAt" | "endsAt" | "place" | "placeEn" | "topic" | "topicEn" | "lecturerRole" | "lecturerRoleEn"
>;

/** 1 for the next to be seated: waitlisted enrolments that arrived no later than `queueNumber`. */
const waitlistPosition = async (db: Sql, cohortId: string, queueNumber: number) =>
  (
    await db.query<{ position: number }>(
      sql`SELECT COUNT(*)::int AS "position" FROM "Enrolment" WHERE "cohortId" = ${cohortId} AND "status" = 'WAITLISTED' AND "queueNumber" <= ${queueNumber}`,
    )
  )[0]!.position;

/**
 * Creates the enrolment with a check-in code no other enrolment of the cohort
 * has: a drawn code that is taken makes the insert do nothing, and another is
 * drawn. The caller holds the cohort lock. Returns the code.
 */
const insertEnrolment = async (tx: Sql, cohortId: string, userId: string, fields: EnrolmentFields): Promise<string> => {
  for (;;) {
    const code = Array.from({ length: CHECK_IN_CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join("");
    const [row] = await tx.query<Pick<Enrolment, "checkInCode">>(
      sql`INSERT INTO "Enrolment" ("id", "cohortId", "userId", "checkInCode", "name", "mobile", "neighbourhoodCode", "skills", "status", "queueNumber", "privacyAcceptedAt", "createdAt", "seatedAt")
       VALUES (${randomUUID()}, ${cohortId}, ${userId}, ${code}, ${fields.name}, ${fields.mobile}, ${fields.neighbourhoodCode}, ${fields.skills}::text[],
         ${fields.status}::"EnrolmentStatus", ${fields.queueNumber}, ${fields.now}, ${fields.now}, ${seatedAt(fields)})
       ON CONFLICT ("cohortId", "checkInCode") DO NOTHING
       RETURNING "checkInCode"`,
    );
    if (row) return row.checkInCode;
  }
};

/** The service's resident enrolment methods: sign up, cancel, and the resident's own enrolments. */
export function enrolmentMethods(ctx: ClassesContext): Pick<ClassesService, "enrol" | "cancel" | "myEnrolments"> {
  const { db, townCode, clock, catalogue } = ctx;
  return {
    async enrol(cohortCode, user, signUp) {
      const person = checkPersonalData(signUp);
      if ("type" in person) return person;
      const skills = cleanSkills(signUp.skills);
      const neighbourhoods = await catalogue.neighbourhoodNames();
      // One transaction on the driver, under the cohort's row lock (READ COMMITTED, as every seat change):
      // concurrent sign-ups for the last seat queue on the lock and each sees the seats taken before it.
      return db.transaction(async (tx): Promise<EnrolResult> => {
        // One statement takes the cohort's lock (as lockCohort does) and reads what the refusals need.
        const [cohort] = await tx.query<LockedCohort>(
          sql`SELECT "id", "code", "enrolmentOpensAt", "enrolmentClosesAt", "neighbourhoodCodes" FROM "Cohort"
           WHERE "townCode" = ${townCode} AND "code" = ${cohortCode} FOR UPDATE`,
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
        const [account] = await tx.query<{
          userId: Enrolment["userId"];
          earlier: EarlierEnrolment | null;
          sameMobile: EarlierEnrolment | null;
        }>(
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
              await tx.query<Pick<Enrolment, "checkInCode">>(
                sql`UPDATE "Enrolment" SET "name" = ${fields.name}, "mobile" = ${fields.mobile}, "neighbourhoodCode" = ${fields.neighbourhoodCode},
                   "skills" = ${fields.skills}::text[], "status" = ${fields.status}::"EnrolmentStatus", "queueNumber" = ${fields.queueNumber},
                   "privacyAcceptedAt" = ${fields.now}, "createdAt" = ${fields.now}, "seatedAt" = ${seatedAt(fields)}, "cancelledAt" = NULL, "completedAt" = NULL
                 WHERE "id" = ${existing.id} RETURNING "checkInCode"`,
              )
            )[0]!.checkInCode
          : await insertEnrolment(tx, cohort.id, chatUser.id, fields);
        if (skills.length > 0)
          await addToTalentPool(
            tx,
            townCode,
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
        const [cohort] = await tx.query<Pick<Cohort, "id"> & { firstStartsAt: CohortSession["startsAt"] | null }>(
          sql`SELECT c."id", (SELECT s."startsAt" FROM "CohortSession" s WHERE s."cohortId" = c."id" ORDER BY s."position" LIMIT 1) AS "firstStartsAt"
           FROM "Cohort" c WHERE c."townCode" = ${townCode} AND c."code" = ${cohortCode} FOR UPDATE`,
        );
        if (!cohort) return { type: "unknownCohort" };
        const now = clock();
        const [enrolment] = await tx.query<Pick<Enrolment, "id" | "status">>(
          sql`SELECT e."id", e."status" FROM "Enrolment" e JOIN "ChatUser" u ON u."id" = e."userId"
           WHERE e."cohortId" = ${cohort.id} AND u."channel" = ${user.channel} AND u."channelUserId" = ${user.userId}`,
        );
        if (!enrolment || enrolment.status === "CANCELLED") return { type: "notEnrolled" };
        const wasSeated = enrolment.status === "SEATED";
        // Leaving the waitlist harms nobody, so only a seat is held once the cohort has begun.
        if (wasSeated && cohort.firstStartsAt && cohort.firstStartsAt <= now) return { type: "cancelAfterStart" };
        await tx.query(
          sql`UPDATE "Enrolment" SET "status" = 'CANCELLED', "cancelledAt" = ${now}, "seatedAt" = NULL WHERE "id" = ${enrolment.id}`,
        );
        const promoted = wasSeated ? (await fillSeats(tx, cohort.id, now)).length : 0;
        return { type: "cancelled", wasSeated, promoted };
      });
    },

    async myEnrolments(user) {
      const rows = await db.query<LiveEnrolment>(
        sql`SELECT e."cohortId", e."status", e."checkInCode", e."completedAt", c."code", c."title", c."titleEn", k."name" AS "courseName", k."nameEn" AS "courseNameEn",
           (SELECT COUNT(*)::int FROM "Attendance" a WHERE a."enrolmentId" = e."id") AS "attended",
           CASE WHEN e."status" = 'WAITLISTED' THEN
             (SELECT COUNT(*)::int FROM "Enrolment" w WHERE w."cohortId" = e."cohortId" AND w."status" = 'WAITLISTED' AND w."queueNumber" <= e."queueNumber")
           END AS "waitlistPosition"
         FROM "Enrolment" e
         JOIN "ChatUser" u ON u."id" = e."userId"
         JOIN "Cohort" c ON c."id" = e."cohortId"
         JOIN "Course" k ON k."id" = c."courseId"
         WHERE u."channel" = ${user.channel} AND u."channelUserId" = ${user.userId} AND c."townCode" = ${townCode} AND e."status" IN ('SEATED', 'WAITLISTED')`,
      );
      if (rows.length === 0) return [];
      const sessions = await db.query<SessionRow>(
        sql`SELECT "id", "cohortId", "position", "startsAt", "endsAt", "place", "placeEn", "topic", "topicEn", "lecturerRole", "lecturerRoleEn"
         FROM "CohortSession" WHERE "cohortId" = ANY(${rows.map((e) => e.cohortId)}::text[]) ORDER BY "position"`,
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
  };
}
