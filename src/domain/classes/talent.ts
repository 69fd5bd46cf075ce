import { randomUUID } from "node:crypto";
import { sql, type Sql } from "../../db/sql.ts";
import type { TalentProfile } from "../../generated/prisma/client.ts";
import { chatUserUpsert } from "../chat-users.ts";
import { normalize } from "../grid/text.ts";
import type { ClassesService, RegisterTalentResult, TalentView } from "./classes.ts";
import type { ClassesContext } from "./context.ts";
import { checkPersonalData, cleanSkills } from "./personal-data.ts";

/*
 * The talent pool (资源库): residents offer their skills, academy staff search
 * them by skill and neighbourhood. A sign-up that names skills adds them too.
 */

const MAX_AVAILABILITY = 200;
const MAX_TALENT_RESULTS = 50;

/** What a talent-pool entry holds of the resident; `availability` undefined keeps the entry's own ('' for a new one). */
type TalentFields = Pick<TalentProfile, "name" | "mobile" | "neighbourhoodCode" | "skills"> & {
  availability?: TalentProfile["availability"];
};

/**
 * The one statement that writes a talent-pool entry: creates the resident's
 * entry in the town or replaces what it holds, consent given at `now`.
 */
const writeTalentProfile = (townCode: string, userId: string, fields: TalentFields, now: Date) =>
  sql`INSERT INTO "TalentProfile" ("id", "townCode", "userId", "name", "mobile", "neighbourhoodCode", "skills", "availability", "consentAt", "updatedAt")
     VALUES (${randomUUID()}, ${townCode}, ${userId}, ${fields.name}, ${fields.mobile}, ${fields.neighbourhoodCode}, ${fields.skills}::text[],
       COALESCE(${fields.availability ?? null}::text, ''), ${now}, ${now})
     ON CONFLICT ("townCode", "userId") DO UPDATE SET
       "name" = EXCLUDED."name", "mobile" = EXCLUDED."mobile", "neighbourhoodCode" = EXCLUDED."neighbourhoodCode", "skills" = EXCLUDED."skills",
       "availability" = COALESCE(${fields.availability ?? null}::text, "TalentProfile"."availability"),
       "consentAt" = EXCLUDED."consentAt", "updatedAt" = EXCLUDED."updatedAt"`;

/**
 * Adds skills to the resident's talent-pool entry in the town, creating it
 * (with no availability yet) if needed, in the caller's transaction.
 */
export async function addToTalentPool(
  tx: Sql,
  townCode: string,
  userId: string,
  person: Omit<TalentFields, "availability">,
  now: Date,
): Promise<void> {
  const [existing] = await tx.query<Pick<TalentProfile, "skills">>(
    sql`SELECT "skills" FROM "TalentProfile" WHERE "townCode" = ${townCode} AND "userId" = ${userId}`,
  );
  // Skills are merged here, not in SQL: two spellings of one skill are the same skill (normalize).
  const skills = cleanSkills([...(existing?.skills ?? []), ...person.skills]);
  await tx.query(writeTalentProfile(townCode, userId, { ...person, skills }, now));
}

/** A talent-pool entry as staff search it. */
type TalentRow = Pick<TalentProfile, "name" | "mobile" | "neighbourhoodCode" | "skills" | "availability" | "consentAt">;

/** The service's talent-pool methods: a resident registering, staff searching. */
export function talentMethods(ctx: ClassesContext): Pick<ClassesService, "registerTalent" | "searchTalent"> {
  const { db, townCode, clock, catalogue, academyStaff } = ctx;
  return {
    async registerTalent(user, talent) {
      const person = checkPersonalData(talent);
      if ("type" in person) return person;
      const skills = cleanSkills(talent.skills);
      if (skills.length === 0) return { type: "noSkills" };
      if (!(await catalogue.neighbourhoodNames()).has(talent.neighbourhoodCode)) return { type: "unknownNeighbourhood" };
      return db.transaction(async (tx): Promise<RegisterTalentResult> => {
        const now = clock();
        // The resident's account and whether it has an entry already, in one statement.
        const [account] = await tx.query<{ userId: TalentProfile["userId"]; registered: boolean }>(
          sql`WITH "user" AS (${chatUserUpsert(user, now)})
           SELECT u."id" AS "userId", EXISTS (SELECT 1 FROM "TalentProfile" t WHERE t."townCode" = ${townCode} AND t."userId" = u."id") AS "registered"
           FROM "user" u`,
        );
        const fields: TalentFields = {
          ...person,
          neighbourhoodCode: talent.neighbourhoodCode,
          skills,
          availability: talent.availability.trim().slice(0, MAX_AVAILABILITY),
        };
        await tx.query(writeTalentProfile(townCode, account!.userId, fields, now));
        return { type: account!.registered ? "updated" : "registered" };
      });
    },

    async searchTalent(staff, skill, neighbourhoodCode) {
      if (!(await academyStaff(staff))) return { type: "notAllowed" };
      const wanted = normalize(skill);
      // One statement text whether or not a neighbourhood is given, so it is prepared once.
      const only = neighbourhoodCode || null;
      const [profiles, names] = await Promise.all([
        db.query<TalentRow>(
          sql`SELECT "name", "mobile", "neighbourhoodCode", "skills", "availability", "consentAt" FROM "TalentProfile"
           WHERE "townCode" = ${townCode} AND (${only}::text IS NULL OR "neighbourhoodCode" = ${only})
           ORDER BY "updatedAt" DESC`,
        ),
        catalogue.neighbourhoodNames(),
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
