/*
 * Working time as town staff keep it: working days (Monday to Friday unless
 * configured otherwise), working hours, public holidays and the make-up working
 * days (调休) China moves around them, all in the town's time zone. Escalation
 * ("unclaimed for two working hours") and deadlines ("three working days") are
 * measured on this calendar, so a report sent on Friday evening does not wake
 * the director on Saturday. Pure arithmetic: the zone conversion uses Intl, no I/O.
 */

import { isKnownTimeZone, parseLocalDate, zoneClock } from "./zone.ts";

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** How far a search for working time goes before deciding the calendar has none (ten years). */
const SEARCH_LIMIT_DAYS = 3_660;
/** Working intervals remembered per calendar; a scheduler looks at a few weeks around today. */
const INTERVAL_CACHE_LIMIT = 4_096;

/** How a town works; app.ts builds it from config.workingTime and the town file's holidays. */
export interface WorkingTimeSettings {
  /** An IANA zone (config TIME_ZONE); the calendar's days and hours are local to it. */
  timeZone: string;
  /** ISO weekday numbers that are working days: 1 Monday … 7 Sunday. */
  workingDays: readonly number[];
  /** Minutes after local midnight: work starts at `start` and stops at `end` (start < end, same day). */
  workingHours: { start: number; end: number };
  /** Local dates (YYYY-MM-DD) on which nobody works, whatever their weekday. */
  holidays: readonly string[];
  /** Local dates (YYYY-MM-DD) worked although their weekday is not a working day (调休); they win over `holidays`. */
  extraWorkingDays: readonly string[];
}

/** Raised for settings no calendar can be built from; the message says which setting and why. */
export class InvalidWorkingTimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidWorkingTimeError";
  }
}

/** Raised when a calendar has no working time at all within ten years of the instant asked about (every day a holiday). */
export class NoWorkingTimeError extends Error {
  constructor(readonly from: Date) {
    super(`The working calendar has no working time within ten years of ${from.toISOString()}`);
    this.name = "NoWorkingTimeError";
  }
}

/**
 * Working-time arithmetic on one town's calendar. Instants are `Date`s; a
 * working minute is a minute inside the working hours of a working day.
 */
export interface WorkingCalendar {
  readonly settings: WorkingTimeSettings;
  /** Working minutes in one working day (510 for 09:00–17:30): "N working days" means N times this. */
  readonly minutesPerDay: number;
  /** Whole working minutes between two instants; 0 when `to` is not after `from`. */
  workingMinutesBetween(from: Date, to: Date): number;
  /**
   * The instant `minutes` working minutes after `from`. Time outside working
   * hours does not count, so the answer always lies within (or at the end of)
   * a working interval; `minutes` ≤ 0 gives `from` itself.
   */
  addWorkingMinutes(from: Date, minutes: number): Date;
  /** The deadline `days` working days after `from`: {@link addWorkingMinutes} of `days` × {@link minutesPerDay}. */
  addWorkingDays(from: Date, days: number): Date;
  /**
   * The latest instant from which `minutes` working minutes have passed by
   * `to`: for any `t`, `workingMinutesBetween(t, to) >= minutes` exactly when
   * `t` is at or before it. Lets a database query find every case past a
   * working-time limit with one comparison on its creation time.
   */
  workingMinutesBefore(to: Date, minutes: number): Date;
  /** True inside the working hours of a working day (start inclusive, end exclusive). */
  isWorkingTime(at: Date): boolean;
  /** True for a working day given as a local date (YYYY-MM-DD). */
  isWorkingDay(localDate: string): boolean;
  /** The local date (YYYY-MM-DD) of an instant in the calendar's zone. */
  localDate(at: Date): string;
  /** Minutes since local midnight of an instant in the calendar's zone. */
  localMinutes(at: Date): number;
  /** "YYYY-MM-DD HH:MM" in the calendar's zone: how staff read a deadline. */
  localDateTime(at: Date): string;
}

/** "HH:MM" as minutes after midnight; undefined for anything else (24:00 is allowed, as the end of a day). */
export function parseClockTime(text: string): number | undefined {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes > 0)) return undefined;
  return hours * 60 + minutes;
}

const dateOfDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
const isoWeekday = (day: number) => ((new Date(day * DAY_MS).getUTCDay() + 6) % 7) + 1;

/** Builds a calendar; throws {@link InvalidWorkingTimeError} for settings that make no sense. */
export function createWorkingCalendar(settings: WorkingTimeSettings): WorkingCalendar {
  const { timeZone, workingDays, workingHours } = settings;
  if (!isKnownTimeZone(timeZone)) throw new InvalidWorkingTimeError(`unknown time zone "${timeZone}"`);
  if (workingDays.length === 0 || workingDays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
    throw new InvalidWorkingTimeError(`working days must be ISO weekday numbers 1-7, at least one; got [${workingDays.join(", ")}]`);
  }
  if (
    !Number.isInteger(workingHours.start) ||
    !Number.isInteger(workingHours.end) ||
    workingHours.start < 0 ||
    workingHours.end > 24 * 60 ||
    workingHours.start >= workingHours.end
  ) {
    throw new InvalidWorkingTimeError(
      `working hours must start before they end within one day; got ${workingHours.start}-${workingHours.end} minutes`,
    );
  }
  const daysOf = (dates: readonly string[], name: string) =>
    new Set(
      dates.map((date) => {
        const day = parseLocalDate(date);
        if (day === undefined) throw new InvalidWorkingTimeError(`${name} holds "${date}", which is not a date written YYYY-MM-DD`);
        return day;
      }),
    );
  const holidays = daysOf(settings.holidays, "holidays");
  const extraWorkingDays = daysOf(settings.extraWorkingDays, "extraWorkingDays");
  const weekdays = new Set(workingDays);

  const { wallClock, instantOf } = zoneClock(timeZone);
  const dayOf = (ms: number) => Math.floor(wallClock(ms) / DAY_MS);

  const isWorkingDayNumber = (day: number) => extraWorkingDays.has(day) || (!holidays.has(day) && weekdays.has(isoWeekday(day)));

  const intervals = new Map<number, readonly [number, number]>();
  /** The working interval of a working day, as instants. */
  const intervalOf = (day: number): readonly [number, number] => {
    let interval = intervals.get(day);
    if (!interval) {
      if (intervals.size >= INTERVAL_CACHE_LIMIT) intervals.clear();
      interval = [
        instantOf(day * DAY_MS + workingHours.start * MINUTE_MS),
        instantOf(day * DAY_MS + workingHours.end * MINUTE_MS),
      ] as const;
      intervals.set(day, interval);
    }
    return interval;
  };

  const workingMsBetween = (from: number, to: number): number => {
    let total = 0;
    for (let day = dayOf(from), last = dayOf(to); day <= last; day++) {
      if (!isWorkingDayNumber(day)) continue;
      const [start, end] = intervalOf(day);
      total += Math.max(0, Math.min(end, to) - Math.max(start, from));
    }
    return total;
  };

  const addWorkingMs = (from: number, ms: number): number => {
    let left = ms;
    const first = dayOf(from);
    for (let day = first; day < first + SEARCH_LIMIT_DAYS; day++) {
      if (!isWorkingDayNumber(day)) continue;
      const [start, end] = intervalOf(day);
      const begin = Math.max(start, from);
      if (begin >= end) continue;
      if (left <= end - begin) return begin + left;
      left -= end - begin;
    }
    throw new NoWorkingTimeError(new Date(from));
  };

  const subtractWorkingMs = (to: number, ms: number): number => {
    let left = ms;
    const first = dayOf(to);
    for (let day = first; day > first - SEARCH_LIMIT_DAYS; day--) {
      if (!isWorkingDayNumber(day)) continue;
      const [start, end] = intervalOf(day);
      const finish = Math.min(end, to);
      if (finish <= start) continue;
      if (left <= finish - start) return finish - left;
      left -= finish - start;
    }
    throw new NoWorkingTimeError(new Date(to));
  };

  const minutesPerDay = workingHours.end - workingHours.start;
  const localMinutes = (at: Date) => Math.floor((((wallClock(at.getTime()) % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);

  return {
    settings,
    minutesPerDay,
    workingMinutesBetween: (from, to) =>
      to.getTime() <= from.getTime() ? 0 : Math.floor(workingMsBetween(from.getTime(), to.getTime()) / MINUTE_MS),
    addWorkingMinutes: (from, minutes) => (minutes <= 0 ? new Date(from) : new Date(addWorkingMs(from.getTime(), minutes * MINUTE_MS))),
    addWorkingDays: (from, days) => (days <= 0 ? new Date(from) : new Date(addWorkingMs(from.getTime(), days * minutesPerDay * MINUTE_MS))),
    workingMinutesBefore: (to, minutes) => (minutes <= 0 ? new Date(to) : new Date(subtractWorkingMs(to.getTime(), minutes * MINUTE_MS))),
    isWorkingTime(at) {
      const ms = at.getTime();
      const day = dayOf(ms);
      if (!isWorkingDayNumber(day)) return false;
      const [start, end] = intervalOf(day);
      return ms >= start && ms < end;
    },
    isWorkingDay(localDate) {
      const day = parseLocalDate(localDate);
      if (day === undefined) throw new InvalidWorkingTimeError(`"${localDate}" is not a date written YYYY-MM-DD`);
      return isWorkingDayNumber(day);
    },
    localDate: (at) => dateOfDay(dayOf(at.getTime())),
    localMinutes,
    localDateTime(at) {
      const minutes = localMinutes(at);
      return `${dateOfDay(dayOf(at.getTime()))} ${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
    },
  };
}
