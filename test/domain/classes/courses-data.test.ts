import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClassesService } from "../../../src/domain/classes/classes.ts";
import { CourseConflictError } from "../../../src/domain/town/courses.ts";
import { importTownData } from "../../../src/domain/town/import.ts";
import { readTownFile, TownDataError } from "../../../src/towndata/town-file.ts";
import { DATABASE_KINDS, freshDatabase } from "../../support/databases.ts";
import { resident, SAMPLE_TOWN_FILE, TOWN_TIME_ZONE } from "../../support/town.ts";

let sampleText: string;
let dir: string;
let files = 0;
beforeAll(async () => {
  sampleText = await readFile(SAMPLE_TOWN_FILE, "utf8");
  dir = await mkdtemp(path.join(tmpdir(), "linli-courses-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function edit(text: string, from: string, to: string): string {
  expect(text, `the sample no longer contains ${JSON.stringify(from)}`).toContain(from);
  return text.replace(from, to);
}

async function problems(text: string): Promise<{ file: string; error: TownDataError }> {
  const file = path.join(dir, `town-${++files}.yaml`);
  await writeFile(file, text);
  const error = await readTownFile(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TownDataError);
  return { file, error: error as TownDataError };
}

const lineOf = (text: string, marker: string) => text.slice(0, text.indexOf(marker)).split("\n").length;

describe("courses in the town-data file", () => {
  it("the sample has the academy's four classes, two talent cohorts of 8-10 sessions", async () => {
    const { data } = await readTownFile(SAMPLE_TOWN_FILE);
    expect(data.courses.map((c) => c.name)).toEqual(["社区达人精品班", "三长骨干轮训班", "第二书记实务班", "红色物业专题班"]);
    const talent = data.courses[0]!.cohorts;
    expect(talent).toHaveLength(2);
    for (const cohort of talent) expect(cohort.sessions.length).toBeGreaterThanOrEqual(8);
    for (const cohort of talent) expect(cohort.sessions.length).toBeLessThanOrEqual(10);
  });

  it("a zero capacity, a window closing before it opens and an unknown neighbourhood are reported at their lines, in both languages", async () => {
    let text = edit(
      sampleText,
      "        capacity: 12\n        enrolmentOpensAt: 2026-11-01",
      "        capacity: 0\n        enrolmentOpensAt: 2026-11-01",
    );
    text = edit(text, "        enrolmentClosesAt: 2027-08-31T17:00:00+08:00", "        enrolmentClosesAt: 2027-05-31T17:00:00+08:00");
    text = edit(text, "        capacity: 40\n", "        capacity: 40\n        neighbourhoods: [atlantis]\n");
    const { file, error } = await problems(text);
    expect(error.issues.map((i) => i.field)).toEqual([
      "courses[0].cohorts[0].capacity",
      "courses[0].cohorts[1].enrolmentClosesAt",
      "courses[1].cohorts[0].neighbourhoods[0]",
    ]);
    expect(error.issues[0]).toMatchObject({ line: lineOf(text, "        capacity: 0"), column: 9 });
    expect(error.issues[1]).toMatchObject({
      line: lineOf(text, "        enrolmentClosesAt: 2027-05-31"),
      message: "报名截止时间须晚于报名开始时间 / enrolment must close after it opens",
    });
    expect(error.issues[2]!.message).toBe('未知的居民区代码“atlantis” / unknown neighbourhood code "atlantis"');
    expect(error.message).toContain(`${file}:${lineOf(text, "        capacity: 0")}:9 courses[0].cohorts[0].capacity:`);
  });

  it("a duplicate cohort code, a session ending before it starts, sessions out of order and a time without offset are reported", async () => {
    let text = edit(sampleText, "      - code: talent-2027-2", "      - code: talent-2027-1");
    text = edit(
      text,
      "          - startsAt: 2027-03-06T14:00:00+08:00\n            endsAt: 2027-03-06T16:30:00+08:00",
      "          - startsAt: 2027-03-06T14:00:00+08:00\n            endsAt: 2027-03-06T13:30:00+08:00",
    );
    text = edit(text, "          - startsAt: 2027-03-20T14:00:00+08:00", "          - startsAt: 2027-03-12T14:00:00+08:00");
    text = edit(text, "          - startsAt: 2027-05-12T14:00:00+08:00", "          - startsAt: 2027-05-12 14:00");
    const { error } = await problems(text);
    const byField = Object.fromEntries(error.issues.map((i) => [i.field, i.message]));
    expect(Object.keys(byField)).toEqual(
      expect.arrayContaining([
        "courses[0].cohorts[1].code",
        "courses[0].cohorts[0].sessions[0].endsAt",
        "courses[0].cohorts[0].sessions[2].startsAt",
        "courses[3].cohorts[0].sessions[0].startsAt",
      ]),
    );
    expect(byField["courses[0].cohorts[1].code"]).toContain("courses[0].cohorts[0]");
    expect(byField["courses[3].cohorts[0].sessions[0].startsAt"]).toContain("+08:00");
  });
});

describe.each(DATABASE_KINDS)("importing courses on %s", (kind) => {
  it("keeps ids on re-import, refuses a capacity below the seated count naming the field, and seats the waitlist when it rises", async () => {
    const db = await freshDatabase(kind);
    try {
      const sample = await readTownFile(SAMPLE_TOWN_FILE);
      await importTownData(db.prisma, sample.data, sample.hash, TOWN_TIME_ZONE);
      const before = await db.prisma.cohortSession.findMany({ orderBy: { id: "asc" } });
      const now = new Date("2026-12-01T02:00:00Z");
      const classes = createClassesService({
        prisma: db.prisma,
        sql: db.sql,
        townCode: "wujing",
        timeZone: TOWN_TIME_ZONE,
        clock: () => now,
      });
      for (let n = 0; n < 14; n++) {
        await classes.enrol("talent-2027-1", resident(n), {
          name: `居民${n}`,
          mobile: `1390000${String(n).padStart(4, "0")}`,
          neighbourhoodCode: "jinghong",
          privacyAccepted: true,
        });
      }

      const lowered = structuredClone(sample.data);
      lowered.courses[0]!.cohorts[0]!.capacity = 10;
      lowered.courses[0]!.cohorts[0]!.sessions[0]!.topic = "新的主题";
      const error = await importTownData(db.prisma, lowered, "lowered", TOWN_TIME_ZONE).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CourseConflictError);
      expect((error as CourseConflictError).conflicts).toEqual([
        {
          field: "courses[0].cohorts[0].capacity",
          message: expect.stringContaining("capacity 10 is below the 12 resident(s) already seated"),
        },
      ]);
      expect((await db.prisma.cohortSession.findFirstOrThrow({ where: { position: 1, cohort: { code: "talent-2027-1" } } })).topic).toBe(
        "破冰与团队建设",
      );

      const dropped = structuredClone(sample.data);
      dropped.courses[0]!.cohorts.splice(0, 1);
      await expect(importTownData(db.prisma, dropped, "dropped", TOWN_TIME_ZONE)).rejects.toThrow(
        /cohort "talent-2027-1" has 14 enrolment/,
      );

      const raised = structuredClone(sample.data);
      raised.courses[0]!.cohorts[0]!.capacity = 13;
      const result = await importTownData(db.prisma, raised, "raised", TOWN_TIME_ZONE);
      expect(result.status === "imported" && result.courses).toMatchObject({
        cohorts: { created: 0, updated: 5, removed: 0 },
        sessions: { created: 0, updated: 26, removed: 0 },
        promoted: 1,
      });
      expect(await db.prisma.cohortSession.findMany({ orderBy: { id: "asc" } })).toEqual(before);
      expect(await classes.cohort("talent-2027-1")).toMatchObject({ capacity: 13, seated: 13, waitlistLength: 1 });
      expect(await db.prisma.outboxMessage.count({ where: { kind: "class.promoted" } })).toBe(1);
    } finally {
      await db.close();
    }
  }, 60_000);
});
