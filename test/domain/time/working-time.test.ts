import { describe, expect, it } from "vitest";
import {
  createWorkingCalendar,
  InvalidWorkingTimeError,
  NoWorkingTimeError,
  parseClockTime,
} from "../../../src/domain/time/working-time.ts";
import { parseLocalDate } from "../../../src/domain/time/zone.ts";
import { DEFAULT_WORKING_TIME } from "../../support/town.ts";

/** An instant given as Shanghai wall-clock time (UTC+8 all year). */
const shanghai = (local: string) => new Date(`${local}+08:00`);

const office = createWorkingCalendar(DEFAULT_WORKING_TIME);
// Labour Day 2026: 1–5 May off, Saturday 9 May worked (调休).
const mayDay = createWorkingCalendar({
  ...DEFAULT_WORKING_TIME,
  holidays: ["2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05"],
  extraWorkingDays: ["2026-05-09"],
});

describe("working time in Shanghai (no summer time)", () => {
  it("a day is 09:00–17:30, 510 working minutes, Monday to Friday", () => {
    expect(office.minutesPerDay).toBe(510);
    expect(office.isWorkingTime(shanghai("2026-03-06T09:00:00"))).toBe(true);
    expect(office.isWorkingTime(shanghai("2026-03-06T08:59:59"))).toBe(false);
    expect(office.isWorkingTime(shanghai("2026-03-06T17:29:59"))).toBe(true);
    expect(office.isWorkingTime(shanghai("2026-03-06T17:30:00"))).toBe(false);
    expect(office.isWorkingTime(shanghai("2026-03-07T10:00:00"))).toBe(false);
    expect(office.isWorkingDay("2026-03-09")).toBe(true);
    expect(office.isWorkingDay("2026-03-08")).toBe(false);
  });

  it("Friday 17:00 to Monday 10:30 is two working hours: the weekend does not count", () => {
    const friday = shanghai("2026-03-06T17:00:00");
    expect(office.workingMinutesBetween(friday, shanghai("2026-03-09T10:29:00"))).toBe(119);
    expect(office.workingMinutesBetween(friday, shanghai("2026-03-09T10:30:00"))).toBe(120);
    expect(office.addWorkingMinutes(friday, 120)).toEqual(shanghai("2026-03-09T10:30:00"));
    expect(office.workingMinutesBetween(shanghai("2026-03-07T08:00:00"), shanghai("2026-03-08T20:00:00"))).toBe(0);
    expect(office.workingMinutesBetween(shanghai("2026-03-09T12:00:00"), shanghai("2026-03-09T11:00:00"))).toBe(0);
  });

  it("three working days after Friday 17:00 is Wednesday 17:00; after a Saturday it is Wednesday's close", () => {
    expect(office.addWorkingDays(shanghai("2026-03-06T17:00:00"), 3)).toEqual(shanghai("2026-03-11T17:00:00"));
    expect(office.addWorkingDays(shanghai("2026-03-07T10:00:00"), 3)).toEqual(shanghai("2026-03-11T17:30:00"));
    expect(office.addWorkingDays(shanghai("2026-03-09T09:00:00"), 1)).toEqual(shanghai("2026-03-09T17:30:00"));
  });

  it("workingMinutesBefore is the latest start from which the minutes have passed, exactly", () => {
    const now = shanghai("2026-03-09T10:30:00");
    expect(office.workingMinutesBefore(now, 120)).toEqual(shanghai("2026-03-06T17:00:00"));
    // Landing on the start of a working day: that start is the latest such instant.
    expect(office.workingMinutesBefore(now, 90)).toEqual(shanghai("2026-03-09T09:00:00"));
    expect(office.workingMinutesBefore(now, 0)).toEqual(now);
    for (const minutes of [1, 45, 90, 91, 510, 1530]) {
      const cutoff = office.workingMinutesBefore(now, minutes);
      expect(office.workingMinutesBetween(cutoff, now)).toBe(minutes);
      expect(office.workingMinutesBetween(new Date(cutoff.getTime() + 60_000), now)).toBeLessThan(minutes);
      expect(office.workingMinutesBetween(new Date(cutoff.getTime() - 3 * 3_600_000), now)).toBeGreaterThanOrEqual(minutes);
    }
  });

  it("local date and time are Shanghai's, whatever the UTC date", () => {
    const justAfterMidnight = new Date("2026-03-06T16:30:00Z");
    expect(office.localDate(justAfterMidnight)).toBe("2026-03-07");
    expect(office.localMinutes(justAfterMidnight)).toBe(30);
    expect(office.localDateTime(shanghai("2026-03-11T17:00:00"))).toBe("2026-03-11 17:00");
  });
});

describe("holidays and make-up working days", () => {
  it("a range across Labour Day counts only the working days around it", () => {
    expect(mayDay.workingMinutesBetween(shanghai("2026-04-30T09:00:00"), shanghai("2026-05-06T17:30:00"))).toBe(2 * 510);
    expect(mayDay.isWorkingDay("2026-05-04")).toBe(false);
    expect(mayDay.isWorkingTime(shanghai("2026-05-04T10:00:00"))).toBe(false);
  });

  it("a report of Thursday afternoon before the holiday waits until Wednesday after it", () => {
    expect(mayDay.addWorkingMinutes(shanghai("2026-04-30T17:00:00"), 120)).toEqual(shanghai("2026-05-06T10:30:00"));
    expect(office.addWorkingMinutes(shanghai("2026-04-30T17:00:00"), 120)).toEqual(shanghai("2026-05-01T10:30:00"));
  });

  it("a make-up Saturday is a working day", () => {
    expect(mayDay.isWorkingDay("2026-05-09")).toBe(true);
    expect(office.isWorkingDay("2026-05-09")).toBe(false);
    expect(mayDay.addWorkingMinutes(shanghai("2026-05-08T17:00:00"), 120)).toEqual(shanghai("2026-05-09T10:30:00"));
    expect(mayDay.workingMinutesBetween(shanghai("2026-05-08T17:30:00"), shanghai("2026-05-11T09:00:00"))).toBe(510);
  });
});

describe("another zone and other settings", () => {
  it("in a zone with summer time the working hours follow local clocks across the change", () => {
    // Europe/Berlin moves to summer time on Sunday 29 March 2026.
    const berlin = createWorkingCalendar({
      ...DEFAULT_WORKING_TIME,
      timeZone: "Europe/Berlin",
      workingHours: { start: 9 * 60, end: 17 * 60 },
    });
    const fridayFour = new Date("2026-03-27T15:00:00Z"); // 16:00 CET
    const mondayTen = new Date("2026-03-30T08:00:00Z"); // 10:00 CEST
    expect(berlin.workingMinutesBetween(fridayFour, mondayTen)).toBe(120);
    expect(berlin.addWorkingMinutes(fridayFour, 61)).toEqual(new Date("2026-03-30T07:01:00Z"));
    expect(berlin.localDateTime(mondayTen)).toBe("2026-03-30 10:00");
  });

  it("a six-day week counts Saturday", () => {
    const sixDays = createWorkingCalendar({ ...DEFAULT_WORKING_TIME, workingDays: [1, 2, 3, 4, 5, 6] });
    expect(sixDays.addWorkingMinutes(shanghai("2026-03-06T17:00:00"), 120)).toEqual(shanghai("2026-03-07T10:30:00"));
  });

  it("settings that make no calendar are refused with a reason", () => {
    expect(() => createWorkingCalendar({ ...DEFAULT_WORKING_TIME, timeZone: "Mars/Olympus" })).toThrow(InvalidWorkingTimeError);
    expect(() => createWorkingCalendar({ ...DEFAULT_WORKING_TIME, workingDays: [] })).toThrow(/working days/);
    expect(() => createWorkingCalendar({ ...DEFAULT_WORKING_TIME, workingDays: [0, 8] })).toThrow(/working days/);
    expect(() => createWorkingCalendar({ ...DEFAULT_WORKING_TIME, workingHours: { start: 1050, end: 540 } })).toThrow(/working hours/);
    expect(() => createWorkingCalendar({ ...DEFAULT_WORKING_TIME, holidays: ["2026-02-30"] })).toThrow(/holidays/);
  });

  it("a calendar whose every day is a holiday says it has no working time instead of looping", () => {
    const closedDecade = Array.from({ length: 4000 }, (_, i) => new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10));
    const never = createWorkingCalendar({ ...DEFAULT_WORKING_TIME, holidays: closedDecade });
    expect(() => never.addWorkingMinutes(shanghai("2026-03-06T10:00:00"), 60)).toThrow(NoWorkingTimeError);
  });

  it("clock times and dates are parsed strictly", () => {
    expect(parseClockTime("09:00")).toBe(540);
    expect(parseClockTime("17:30")).toBe(1050);
    expect(parseClockTime("24:00")).toBe(1440);
    expect(parseClockTime("24:01")).toBeUndefined();
    expect(parseClockTime("9:60")).toBeUndefined();
    expect(parseClockTime("nine")).toBeUndefined();
    expect(parseLocalDate("2026-05-01")).toBe(Date.UTC(2026, 4, 1) / 86_400_000);
    expect(parseLocalDate("2026-02-30")).toBeUndefined();
    expect(parseLocalDate("2026-5-1")).toBeUndefined();
  });
});
