import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import { createClassesService, type ClassesService } from "../../../src/domain/classes/classes.ts";
import { cohortFigures } from "../../../src/domain/classes/figures.ts";
import { createStaffRegistry } from "../../../src/domain/staff/registry.ts";
import { databaseWebSessions } from "../../../src/domain/staff/web-session-table.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { openSampleTown, resident, TOWN_TIME_ZONE } from "../../support/town.ts";

const COHORT = "talent-2027-1";
// Enrolment for talent-2027-1 is open from 2026-11-01 to 2027-02-26; its first session is 2027-03-06 14:00 in Shanghai.
const OPEN_TIME = new Date("2026-12-01T02:00:00Z");
const FIRST_SESSION = new Date("2027-03-06T06:00:00Z");
const ACADEMY = { channel: "telegram", userId: "academy-figures" };

describe.each(DATABASE_KINDS)("the academy's figures on %s", (kind) => {
  let db: Database;
  let classes: ClassesService;
  let now = OPEN_TIME;

  beforeAll(async () => {
    ({ db } = await openSampleTown(kind));
    const registry = createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode: "wujing", webSessions: databaseWebSessions(db.sql) });
    const invite = await registry.invite("bootstrap", { role: "ACADEMY_STAFF", label: "学院", districtCodes: [], roadCommitteeCodes: [] });
    if (invite.type !== "created") throw new Error(invite.type);
    await registry.redeem(invite.code, { ...ACADEMY, chatId: ACADEMY.userId, locale: "zh" });
    classes = createClassesService({ prisma: db.prisma, sql: db.sql, townCode: "wujing", timeZone: TOWN_TIME_ZONE, clock: () => now });
    await db.prisma.cohort.updateMany({ where: { code: COHORT }, data: { capacity: 3 } });
  }, 120_000);
  afterAll(async () => {
    await db.close();
  });

  it("a cohort's fill rate is seated ÷ seats, its waiting list counted apart, attendance is check-ins ÷ (seated × sessions held)", async () => {
    const codes: string[] = [];
    for (let n = 0; n < 4; n++) {
      const result = await classes.enrol(COHORT, resident(`figures-${n}`), {
        name: `居民${n}`,
        mobile: `1390000${String(n).padStart(4, "0")}`,
        neighbourhoodCode: "zizhu-peninsula",
        privacyAccepted: true,
      });
      if (result.type !== "seated" && result.type !== "waitlisted") throw new Error(result.type);
      if (result.type === "seated") codes.push(result.checkInCode);
    }
    const before = await cohortFigures(db.sql, "wujing", OPEN_TIME, OPEN_TIME);
    expect(before.find((cohort) => cohort.code === COHORT)).toMatchObject({
      capacity: 3,
      seated: 3,
      waiting: 1,
      fillRate: 1,
      sessionsHeld: 0,
      attendances: 0,
      attendanceRate: null,
    });

    now = new Date(FIRST_SESSION.getTime() + 30 * 60_000);
    for (const code of codes.slice(0, 2)) {
      expect(await classes.checkIn(ACADEMY, { cohortCode: COHORT, sessionIndex: 1 }, code)).toMatchObject({ type: "checkedIn" });
    }
    const after = await cohortFigures(db.sql, "wujing", OPEN_TIME, now);
    expect(after.find((cohort) => cohort.code === COHORT)).toMatchObject({ sessionsHeld: 1, attendances: 2, attendanceRate: 2 / 3 });
    // Cohorts nobody signed up for are listed with an empty fill rate, in the catalogue's order; none whose enrolment closed earlier.
    expect(after.map((cohort) => cohort.code)).toContain("three-heads-2027-1");
    expect(after.find((cohort) => cohort.code === "three-heads-2027-1")).toMatchObject({ seated: 0, fillRate: 0 });
    expect(await cohortFigures(db.sql, "wujing", new Date("2027-12-31T00:00:00Z"), now)).toEqual([]);
  });
});
