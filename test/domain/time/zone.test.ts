import { describe, expect, it } from "vitest";
import { isKnownTimeZone, localDateOf, localTimeToInstant, localYearOf, startOfLocalDay } from "../../../src/domain/time/zone.ts";

describe("local time in the configured zone", () => {
  it("reads a Shanghai wall-clock time as eight hours ahead of UTC", () => {
    expect(localTimeToInstant("Asia/Shanghai", { year: 2027, month: 3, day: 13, hour: 14, minute: 0 })?.toISOString()).toBe(
      "2027-03-13T06:00:00.000Z",
    );
  });

  it("reads a Berlin wall-clock time with the offset of its season", () => {
    expect(localTimeToInstant("Europe/Berlin", { year: 2027, month: 1, day: 15, hour: 14, minute: 0 })?.toISOString()).toBe(
      "2027-01-15T13:00:00.000Z",
    );
    expect(localTimeToInstant("Europe/Berlin", { year: 2027, month: 7, day: 15, hour: 14, minute: 0 })?.toISOString()).toBe(
      "2027-07-15T12:00:00.000Z",
    );
  });

  it("moves a time in the hour skipped by summer time forward by the gap", () => {
    // Berlin clocks jump from 02:00 to 03:00 on 28 March 2027: 02:30 does not exist and is read as 03:30 CEST.
    expect(localTimeToInstant("Europe/Berlin", { year: 2027, month: 3, day: 28, hour: 2, minute: 30 })?.toISOString()).toBe(
      "2027-03-28T01:30:00.000Z",
    );
  });

  it("refuses a date or a time that no calendar has", () => {
    expect(localTimeToInstant("Europe/Berlin", { year: 2027, month: 2, day: 30, hour: 9, minute: 0 })).toBeUndefined();
    expect(localTimeToInstant("Europe/Berlin", { year: 2027, month: 2, day: 3, hour: 24, minute: 0 })).toBeUndefined();
    expect(localTimeToInstant("Europe/Berlin", { year: 2027, month: 2, day: 3, hour: 9, minute: 60 })).toBeUndefined();
    expect(() => startOfLocalDay("2027-02-30", "Europe/Berlin")).toThrow(RangeError);
  });

  it("puts midnight of a date at the start of that day in the zone, in winter and in summer", () => {
    expect(startOfLocalDay("2027-03-01", "Asia/Shanghai").toISOString()).toBe("2027-02-28T16:00:00.000Z");
    expect(startOfLocalDay("2027-03-01", "America/New_York").toISOString()).toBe("2027-03-01T05:00:00.000Z");
    expect(startOfLocalDay("2027-07-01", "America/New_York").toISOString()).toBe("2027-07-01T04:00:00.000Z");
  });

  it("gives the local date and year of an instant near midnight as the zone reads them", () => {
    const newYearInShanghai = new Date("2026-12-31T17:00:00Z");
    expect(localDateOf(newYearInShanghai, "Asia/Shanghai")).toBe("2027-01-01");
    expect(localDateOf(newYearInShanghai, "America/New_York")).toBe("2026-12-31");
    expect(localYearOf(newYearInShanghai, "Asia/Shanghai")).toBe(2027);
    expect(localYearOf(newYearInShanghai, "Europe/Berlin")).toBe(2026);
  });

  it("knows real zones and refuses invented ones", () => {
    expect(isKnownTimeZone("Europe/Berlin")).toBe(true);
    expect(isKnownTimeZone("Mars/Olympus")).toBe(false);
  });
});
