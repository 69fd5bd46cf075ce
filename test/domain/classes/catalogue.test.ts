import { describe, expect, it } from "vitest";
import { createClassesService } from "../../../src/domain/classes/classes.ts";
import { importTownData } from "../../../src/domain/town/import.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { openSampleTown, resident, SAMPLE_TOWN_FILE, TOWN_TIME_ZONE } from "../../support/town.ts";

const COHORT = "talent-2027-1";
const now = new Date("2026-12-01T02:00:00Z");
const signUp = (n: number) => ({
  name: `居民${n}`,
  mobile: `1390000${String(n).padStart(4, "0")}`,
  neighbourhoodCode: "jinghong",
  privacyAccepted: true,
});

describe.each(DATABASE_KINDS)("the class catalogue kept in memory on %s", (kind) => {
  it("shows seats taken and capacity changed through another instance at once, and a re-imported schedule once the grid has seen the import", async () => {
    const { db, grid } = await openSampleTown(kind);
    try {
      const here = createClassesService({
        prisma: db.prisma,
        sql: db.sql,
        townCode: "wujing",
        timeZone: TOWN_TIME_ZONE,
        clock: () => now,
        grid,
      });
      const elsewhere = createClassesService({
        prisma: db.prisma,
        sql: db.sql,
        townCode: "wujing",
        timeZone: TOWN_TIME_ZONE,
        clock: () => now,
      });
      const before = (await here.cohort(COHORT))!;
      expect(before).toMatchObject({ capacity: 12, seated: 0, seatsLeft: 12, waitlistLength: 0 });

      for (let n = 0; n < 13; n++) await elsewhere.enrol(COHORT, resident(n), signUp(n));
      expect(await here.cohort(COHORT)).toMatchObject({ capacity: 12, seated: 12, seatsLeft: 0, waitlistLength: 1 });
      const listed = (await here.openCourses()).flatMap((course) => course.cohorts).find((cohort) => cohort.code === COHORT);
      expect(listed).toMatchObject({ seated: 12, waitlistLength: 1 });

      const sample = await readTownFile(SAMPLE_TOWN_FILE);
      const changed = structuredClone(sample.data);
      changed.courses[0]!.cohorts[0]!.capacity = 14;
      changed.courses[0]!.cohorts[0]!.title = "2027 年第一期（扩班）";
      await importTownData(db.prisma, changed, "catalogue-changed", TOWN_TIME_ZONE);
      // Capacity and seats are read from the database on every view; the names wait for the grid to see the import.
      expect(await here.cohort(COHORT)).toMatchObject({ capacity: 14, seated: 13, waitlistLength: 0, title: before.title });
      await grid.refreshIfChanged();
      expect((await here.cohort(COHORT))!.title.zh).toBe("2027 年第一期（扩班）");
      expect((await here.cohortInfo(COHORT))!.title.zh).toBe("2027 年第一期（扩班）");
      expect(await here.cohortInfo("no-such-cohort")).toBeUndefined();
    } finally {
      await db.close();
    }
  }, 60_000);
});
