import { randomUUID } from "node:crypto";
import { prismaSql, type Sql } from "../../db/sql.ts";
import { upsertChatUser } from "../chat-users.ts";
import { normalize } from "../grid/text.ts";
import type { ClassesService, RegisterTalentResult, TalentView } from "./classes.ts";
import { TRANSACTION_OPTIONS, type ClassesContext } from "./context.ts";
import { checkPersonalData, cleanSkills } from "./personal-data.ts";

/*
 * The talent pool (资源库): residents offer their skills, academy staff search
 * them by skill and neighbourhood. A sign-up that names skills adds them too.
 */

const MAX_AVAILABILITY = 200;
const MAX_TALENT_RESULTS = 50;

/**
 * Adds skills to the resident's talent-pool entry in the town, creating it
 * (with no availability yet) if needed, in the caller's transaction.
 */
export async function addToTalentPool(
  tx: Sql,
  townCode: string,
  userId: string,
  person: { name: string; mobile: string; neighbourhoodCode: string; skills: string[] },
  now: Date,
): Promise<void> {
  const [existing] = await tx.query<{ skills: string[] }>(`SELECT "skills" FROM "TalentProfile" WHERE "townCode" = $1 AND "userId" = $2`, [
    townCode,
    userId,
  ]);
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
}

/** The service's talent-pool methods: a resident registering, staff searching. */
export function talentMethods(ctx: ClassesContext): Pick<ClassesService, "registerTalent" | "searchTalent"> {
  const { prisma, townCode, clock, catalogue, academyStaff } = ctx;
  return {
    async registerTalent(user, talent) {
      const person = checkPersonalData(talent);
      if ("type" in person) return person;
      const skills = cleanSkills(talent.skills);
      if (skills.length === 0) return { type: "noSkills" };
      if (!(await catalogue.neighbourhoodNames()).has(talent.neighbourhoodCode)) return { type: "unknownNeighbourhood" };
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
