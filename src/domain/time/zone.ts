/*
 * Local time in one IANA zone, the town's (config TIME_ZONE). Every date the
 * bot reads or writes in the town's terms goes through here, so a town in a
 * zone with summer time reads its dates as correctly as one without. Offsets
 * come from Intl, so no zone table ships with the code.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** UTC days whose offset a zone clock remembers: decades of days, a few hundred kilobytes at most. */
const DAY_OFFSET_CACHE_LIMIT = 16_384;

/** Conversions between instants and the wall clock of one zone; made once per zone by {@link zoneClock}. */
export interface ZoneClock {
  readonly timeZone: string;
  /** The local wall-clock reading of an instant (epoch ms), written as if that reading were UTC. */
  wallClock(ms: number): number;
  /** The instant (epoch ms) a local wall-clock reading names; a reading in a skipped hour moves forward by the gap. */
  instantOf(wall: number): number;
}

// A zone's formatter is costly to build and a town has one zone: keep one per zone.
const clocks = new Map<string, ZoneClock>();

/** The {@link ZoneClock} of an IANA zone; throws a RangeError for a zone this runtime does not know. */
export function zoneClock(timeZone: string): ZoneClock {
  let clock = clocks.get(timeZone);
  if (clock) return clock;
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const formattedWallClock = (ms: number): number => {
    const parts: Record<string, number> = {};
    for (const part of format.formatToParts(new Date(ms))) if (part.type !== "literal") parts[part.type] = Number(part.value);
    return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) + (((ms % 1000) + 1000) % 1000);
  };
  // Formatting costs tens of microseconds and a page of figures reads thousands of instants, while a zone's
  // offset changes at most once a day: an offset that is the same at both ends of a UTC day holds all day.
  const dayOffsets = new Map<number, number | null>();
  const offsetAt = (ms: number): number => {
    const day = Math.floor(ms / DAY_MS);
    let offset = dayOffsets.get(day);
    if (offset === undefined) {
      if (dayOffsets.size >= DAY_OFFSET_CACHE_LIMIT) dayOffsets.clear();
      const first = day * DAY_MS;
      const last = first + DAY_MS - 1;
      const atFirst = formattedWallClock(first) - first;
      offset = formattedWallClock(last) - last === atFirst ? atFirst : null;
      dayOffsets.set(day, offset);
    }
    return offset ?? formattedWallClock(ms) - ms;
  };
  const wallClock = (ms: number): number => ms + offsetAt(ms);
  const instantOf = (wall: number): number => {
    const guess = wall - offsetAt(wall);
    const corrected = offsetAt(guess);
    return corrected === offsetAt(wall) ? guess : wall - corrected;
  };
  clock = { timeZone, wallClock, instantOf };
  clocks.set(timeZone, clock);
  return clock;
}

/** True for an IANA time-zone name this runtime knows. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** A local date (YYYY-MM-DD) that exists in the calendar, as its day number since 1970-01-01; undefined otherwise. */
export function parseLocalDate(text: string): number | undefined {
  const match = LOCAL_DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to 2 March; a date that does not come back unchanged does not exist.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return undefined;
  return ms / DAY_MS;
}

/**
 * The instant a local wall-clock time names in `timeZone`: `month` 1-12, `hour`
 * 0-23. Undefined for a date or time that does not exist on any calendar
 * (30 February, 25:00); a time in the hour skipped by summer time moves forward.
 */
export function localTimeToInstant(
  timeZone: string,
  local: { year: number; month: number; day: number; hour: number; minute: number },
): Date | undefined {
  const { year, month, day, hour, minute } = local;
  if (![year, month, day, hour, minute].every(Number.isInteger) || hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
  const date = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  const dayNumber = parseLocalDate(date);
  if (dayNumber === undefined) return undefined;
  return new Date(zoneClock(timeZone).instantOf(dayNumber * DAY_MS + (hour * 60 + minute) * MINUTE_MS));
}

/**
 * Midnight at the start of a local date (YYYY-MM-DD) in `timeZone`. Callers
 * pass a date already checked with {@link parseLocalDate}; any other text is a
 * programming error and throws a RangeError.
 */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const day = parseLocalDate(date);
  if (day === undefined) throw new RangeError(`"${date}" is not a date written YYYY-MM-DD`);
  return new Date(zoneClock(timeZone).instantOf(day * DAY_MS));
}

/** The local date (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDateOf(at: Date, timeZone: string): string {
  return new Date(Math.floor(zoneClock(timeZone).wallClock(at.getTime()) / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/** "YYYY-MM-DD HH:MM" (24-hour) of an instant in `timeZone`: how files such as a roster CSV write a local time. */
export function localDateTimeOf(at: Date, timeZone: string): string {
  let format = dateTimeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("sv-SE", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    dateTimeFormats.set(timeZone, format);
  }
  return format.format(at);
}

/** The calendar year of an instant in `timeZone`. */
export function localYearOf(at: Date, timeZone: string): number {
  return new Date(zoneClock(timeZone).wallClock(at.getTime())).getUTCFullYear();
}
