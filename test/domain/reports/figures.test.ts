import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportFigures, weeksPeriod, monthPeriod, type FigureRow, type ReportFigures } from "../../../src/domain/reports/figures.ts";
import type { ReportPlace } from "../../../src/domain/reports/service.ts";
import { createWorkingCalendar, type WorkingCalendar } from "../../../src/domain/time/working-time.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import {
  declining,
  DEFAULT_WORKING_TIME,
  openSampleServices,
  resident,
  SAMPLE_TOWN_FILE,
  type SampleServices,
} from "../../support/town.ts";

/** An instant given as Shanghai wall-clock time (UTC+8 all year). */
const shanghai = (local: string) => new Date(`${local}+08:00`);

const CLERK = { staffId: "staff-1", label: "第一路管会工作人员" };
const AT_YONGDE_12: ReportPlace = { roadCode: "yongde", houseNumber: 12 }; // district 2, road committee 1
const AT_YONGDE_400: ReportPlace = { roadCode: "yongde", houseNumber: 400 }; // district 1, road committee 1
const AT_LONGWU_5500: ReportPlace = { roadCode: "longwu", houseNumber: 5500 }; // district 4, road committee 2
const NOW = shanghai("2026-03-18T12:00:00"); // a Wednesday; the two weeks start on Monday 9 and Monday 16 March

/**
 * Five cases, with what each adds to the figures of the two weeks before NOW
 * (working time: Monday to Friday 09:00–17:30, 510 minutes a day):
 * - A, district 2: submitted Friday 13th 17:00, claimed Monday 16th 09:30 (30 + 30 = 60 min),
 *   resolved 11:00 (30 + 120 = 150 min), rated 4.
 * - B, district 1: submitted Tuesday 10th 20:00 (night), claimed Wednesday 11th 10:00 (60 min),
 *   resolved Thursday 12th 10:00 (510 + 60 = 570 min), reopened Friday 13th 09:00,
 *   resolved again Tuesday 17th 09:00 (4 × 510 = 2040 min), rated 2.
 * - C, district 4 / committee 2: submitted Monday 2 March (before the period), never claimed: open and overdue.
 * - D, district 2: submitted Wednesday 18th 10:00: open, not overdue.
 * - E, district 1: submitted Monday 9th 10:00, rejected 11:00 (a rejection is not a claim).
 */
async function seed(town: SampleServices, setNow: (at: Date) => void): Promise<void> {
  let residents = 0;
  const submit = async (at: string, place: ReportPlace, categoryCode: string) => {
    setNow(shanghai(at));
    const who = resident(`figures-${++residents}`);
    const result = await town.reports.submit(
      { categoryCode, place, description: "门口摆摊，摊主电话13812345678", photoIds: [], contactAllowed: false },
      who,
      declining(),
    );
    if (result.type !== "created") throw new Error(`expected a new report, got ${result.type}`);
    return { reference: result.reference, who };
  };
  const act = async <T>(at: string, action: () => Promise<T>) => {
    setNow(shanghai(at));
    return action();
  };
  const c = await submit("2026-03-02T09:00:00", AT_LONGWU_5500, "parking");
  const e = await submit("2026-03-09T10:00:00", AT_YONGDE_400, "piled-goods");
  await act("2026-03-09T11:00:00", () => town.reports.reject(e.reference, CLERK, "INVALID", "不属实"));
  const b = await submit("2026-03-10T20:00:00", AT_YONGDE_400, "pavement-trading");
  await act("2026-03-11T10:00:00", () => town.reports.acknowledge(b.reference, CLERK));
  await act("2026-03-12T10:00:00", () => town.reports.resolve(b.reference, CLERK, "已清理"));
  await act("2026-03-13T09:00:00", () => town.reports.recordFeedback(b.reference, b.who, { fixed: false }));
  const a = await submit("2026-03-13T17:00:00", AT_YONGDE_12, "pavement-trading");
  await act("2026-03-16T09:30:00", () => town.reports.acknowledge(a.reference, CLERK));
  await act("2026-03-16T11:00:00", () => town.reports.resolve(a.reference, CLERK, "已劝离"));
  await act("2026-03-16T11:30:00", () => town.reports.recordFeedback(a.reference, a.who, { rating: 4 }));
  await act("2026-03-17T09:00:00", () => town.reports.resolve(b.reference, CLERK, "再次清理"));
  await act("2026-03-17T10:00:00", () => town.reports.recordFeedback(b.reference, b.who, { rating: 2 }));
  await submit("2026-03-18T10:00:00", AT_YONGDE_12, "piled-goods");
  expect(c.reference).toBeTruthy();
}

/** The numbers of a row, without its name. */
const numbers = (row: FigureRow | undefined) => {
  if (!row) throw new Error("no such row");
  const { code: _code, name: _name, ...rest } = row;
  return rest;
};
const rowOf = (rows: FigureRow[], code: string | null) => rows.find((row) => row.code === code);

describe.each(DATABASE_KINDS)("the console's figures on %s", (kind) => {
  let town: SampleServices;
  let now = NOW;
  let calendar: WorkingCalendar;
  let figures: ReportFigures;

  beforeAll(async () => {
    town = await openSampleServices({ kind, clock: () => now });
    const { data } = await readTownFile(SAMPLE_TOWN_FILE);
    calendar = createWorkingCalendar({ ...DEFAULT_WORKING_TIME, holidays: data.holidays, extraWorkingDays: data.extraWorkingDays });
    await seed(town, (at) => (now = at));
    now = NOW;
    figures = await reportFigures({ sql: town.db.sql, townCode: "wujing", calendar }, { period: weeksPeriod(calendar, NOW, 2), now: NOW });
  }, 120_000);
  afterAll(async () => {
    await town.close();
  });

  it("the period is the last two ISO weeks in the town's zone, from Monday midnight to now", () => {
    expect(figures.period.from).toEqual(shanghai("2026-03-09T00:00:00"));
    expect(figures.period.to).toEqual(NOW);
    expect(figures.period.buckets.map((bucket) => [bucket.label, bucket.startDate, bucket.start])).toEqual([
      ["2026-W11", "2026-03-09", shanghai("2026-03-09T00:00:00")],
      ["2026-W12", "2026-03-16", shanghai("2026-03-16T00:00:00")],
    ]);
  });

  it("the town's totals count received, resolved, reopened, open and overdue cases, with working-time medians and ratings", () => {
    expect(numbers(figures.total)).toEqual({
      received: 4,
      resolved: 3,
      reopened: 1,
      reopenRate: 1 / 3,
      open: 2,
      overdue: 1,
      medianClaimMinutes: 60,
      medianResolveMinutes: 570,
      ratings: 2,
      ratingAverage: 3,
    });
    expect(figures.ratingDistribution).toEqual([0, 1, 0, 1, 0]);
  });

  it("districts are counted by where the case is, every district listed in the town's order", () => {
    expect(figures.districts.map((row) => row.code)).toEqual(["d1", "d2", "d3", "d4"]);
    expect(rowOf(figures.districts, "d1")?.name).toEqual({ zh: "第一片区", en: expect.any(String) });
    expect(numbers(rowOf(figures.districts, "d1"))).toEqual({
      received: 2,
      resolved: 2,
      reopened: 1,
      reopenRate: 0.5,
      open: 0,
      overdue: 0,
      medianClaimMinutes: 60,
      medianResolveMinutes: 1305,
      ratings: 1,
      ratingAverage: 2,
    });
    expect(numbers(rowOf(figures.districts, "d2"))).toMatchObject({
      received: 2,
      resolved: 1,
      open: 1,
      overdue: 0,
      medianResolveMinutes: 150,
    });
    expect(numbers(rowOf(figures.districts, "d3"))).toMatchObject({ received: 0, resolved: 0, open: 0, medianClaimMinutes: null });
    expect(numbers(rowOf(figures.districts, "d4"))).toMatchObject({ received: 0, open: 1, overdue: 1, reopenRate: null });
  });

  it("road committees are counted by who handles the case, categories by their code", () => {
    expect(numbers(rowOf(figures.roadCommittees, "rc1"))).toMatchObject({ received: 4, resolved: 3, open: 1, overdue: 0 });
    expect(numbers(rowOf(figures.roadCommittees, "rc2"))).toMatchObject({ received: 0, open: 1, overdue: 1 });
    expect(numbers(rowOf(figures.categories, "pavement-trading"))).toMatchObject({ received: 2, resolved: 3, ratings: 2 });
    expect(numbers(rowOf(figures.categories, "piled-goods"))).toMatchObject({ received: 2, resolved: 0, open: 1 });
    expect(numbers(rowOf(figures.categories, "parking"))).toMatchObject({ received: 0, open: 1, overdue: 1 });
  });

  it("each week counts what happened in it; open and overdue belong to now, not to a week", () => {
    expect(figures.buckets.map(numbers)).toEqual([
      {
        received: 3,
        resolved: 1,
        reopened: 1,
        reopenRate: 1,
        open: null,
        overdue: null,
        medianClaimMinutes: 60,
        medianResolveMinutes: 570,
        ratings: 0,
        ratingAverage: null,
      },
      {
        received: 1,
        resolved: 2,
        reopened: 0,
        reopenRate: 0,
        open: null,
        overdue: null,
        medianClaimMinutes: 60,
        medianResolveMinutes: 1095,
        ratings: 2,
        ratingAverage: 3,
      },
    ]);
  });

  it("one district's figures count only its cases", async () => {
    const district = await reportFigures(
      { sql: town.db.sql, townCode: "wujing", calendar },
      { period: weeksPeriod(calendar, NOW, 2), now: NOW, districtCode: "d1" },
    );
    expect(district.districts.map((row) => row.code)).toEqual(["d1"]);
    expect(numbers(district.total)).toEqual(numbers(rowOf(figures.districts, "d1")));
    expect(district.ratingDistribution).toEqual([0, 1, 0, 0, 0]);
  });

  it("a month period covers the calendar month in the town's zone: last month whole, this month up to now", async () => {
    const lastMonth = monthPeriod(calendar, NOW, 1);
    expect([lastMonth.from, lastMonth.to, lastMonth.buckets[0]?.label]).toEqual([
      shanghai("2026-02-01T00:00:00"),
      shanghai("2026-03-01T00:00:00"),
      "2026-02",
    ]);
    const thisMonth = await reportFigures(
      { sql: town.db.sql, townCode: "wujing", calendar },
      { period: monthPeriod(calendar, NOW, 0), now: NOW },
    );
    // C (2 March) is in this month too.
    expect(numbers(thisMonth.total)).toMatchObject({ received: 5, resolved: 3, medianResolveMinutes: 570 });
  });
});
