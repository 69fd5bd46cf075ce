import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderOutboxRow } from "../../src/bot/notify/render.ts";
import { importTownData } from "../../src/domain/town/import.ts";
import { townTime } from "../../src/flows/report/view.ts";
import { readTownFile } from "../../src/towndata/town-file.ts";
import { converse, lastChoices, shownText } from "../support/conversation.ts";
import { freshDatabase } from "../support/databases.ts";
import { openSampleServices, SAMPLE_TOWN_FILE, TOWN_TIME_ZONE, type SampleServices } from "../support/town.ts";

/*
 * A town whose TIME_ZONE is not Shanghai's: New York and Berlin keep summer
 * time, so a fixed offset anywhere would show here as an hour's error.
 */
const NEW_YORK = "America/New_York";
const COHORT = "talent-2027-1";

describe("a report's times in the configured zone", () => {
  it("shows the same instant as each zone's wall clock, with Berlin's summer offset", () => {
    const at = new Date("2027-07-01T10:00:00Z");
    expect(townTime(at, "en", "Europe/Berlin")).toBe("01/07/2027, 12:00");
    expect(townTime(at, "en", TOWN_TIME_ZONE)).toBe("01/07/2027, 18:00");
    expect(townTime(new Date("2027-01-15T10:00:00Z"), "en", "Europe/Berlin")).toBe("15/01/2027, 11:00");
  });
});

describe("a compact version's effective date", () => {
  it("takes effect at midnight of the file's date in the zone the town data is imported with", async () => {
    const file = await readTownFile(SAMPLE_TOWN_FILE);
    const date = String(file.data.compact?.effectiveFrom);
    const berlin = await freshDatabase("pglite");
    const shanghai = await freshDatabase("pglite");
    try {
      await importTownData(berlin.prisma, file.data, file.hash, "Europe/Berlin");
      await importTownData(shanghai.prisma, file.data, file.hash, TOWN_TIME_ZONE);
      const inBerlin = await berlin.prisma.compactVersion.findFirstOrThrow({ where: { townCode: file.data.town.code } });
      const inShanghai = await shanghai.prisma.compactVersion.findFirstOrThrow({ where: { townCode: file.data.town.code } });
      // The sample's date is in winter: Berlin is then one hour ahead of UTC, Shanghai eight.
      expect(inBerlin.effectiveFrom.toISOString()).toBe(new Date(`${date}T00:00:00+01:00`).toISOString());
      expect(inShanghai.effectiveFrom.toISOString()).toBe(new Date(`${date}T00:00:00+08:00`).toISOString());
    } finally {
      await berlin.close();
      await shanghai.close();
    }
  });
});

describe("academy sessions in a town on New York time", () => {
  let town: SampleServices;
  const now = new Date("2026-12-01T15:00:00Z");
  beforeAll(async () => {
    town = await openSampleServices({ clock: () => now, timeZone: NEW_YORK });
  });
  afterAll(async () => {
    await town.close();
  });

  it("reads a session time typed by staff in that zone, and the change notice and reminder show it there", async () => {
    const invite = await town.staff.invite("bootstrap", {
      role: "ACADEMY_STAFF",
      label: "治理学院老师",
      districtCodes: [],
      roadCommitteeCodes: [],
    });
    if (invite.type !== "created") throw new Error(invite.type);
    const teacher = converse(town.services, { userId: "teacher-ny", now: () => now });
    await teacher.command("join", invite.code);
    const roster = await teacher.command("cohort", COHORT);
    await teacher.choose(lastChoices(roster).find((option) => option.label === "🗓 调整上课时间地点")!.value);
    await teacher.choose("session:2");
    // 14 March 2027 is the day New York moves to summer time (UTC-4 from 02:00).
    await teacher.text("2027-03-14 09:00-11:30");
    expect(shownText(await teacher.text("二楼多功能厅"))).toContain("第 2 讲已调整");

    const [, session] = await town.db.prisma.cohortSession.findMany({ where: { cohort: { code: COHORT } }, orderBy: { position: "asc" } });
    expect(session?.startsAt.toISOString()).toBe("2027-03-14T13:00:00.000Z");
    expect(session?.endsAt.toISOString()).toBe("2027-03-14T15:30:00.000Z");

    // What a reminder of the moved session carries; the renderer writes its time in the zone it is given.
    const payload = {
      cohortCode: COHORT,
      course: { zh: "社区达人精品班", en: "Community talent class" },
      cohort: { zh: "2027 年第一期", en: "2027 first cohort" },
      sessionIndex: 2,
      startsAt: session!.startsAt.toISOString(),
      endsAt: session!.endsAt.toISOString(),
      place: { zh: session!.place, en: session!.placeEn },
      topic: { zh: session!.topic, en: session!.topicEn },
      locale: "zh",
    };
    expect(shownText(renderOutboxRow({ kind: "class.reminder", payload }, NEW_YORK)!)).toContain("2027/3/14 09:00");
    expect(shownText(renderOutboxRow({ kind: "class.changed", payload }, NEW_YORK)!)).toContain("时间：2027/3/14 09:00");
    expect(shownText(renderOutboxRow({ kind: "class.reminder", payload }, TOWN_TIME_ZONE)!)).toContain("2027/3/14 21:00");
  });
});
