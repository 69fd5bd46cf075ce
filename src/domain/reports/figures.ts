import type { District } from "../../generated/prisma/client.ts";
import { epochMillis, join, sql, type Sql, type Statement } from "../../db/sql.ts";
import type { Bilingual } from "../grid/index.ts";
import type { WorkingCalendar } from "../time/working-time.ts";
import { parseLocalDate, startOfLocalDay } from "../time/zone.ts";
import { OPEN_STATUSES } from "./context.ts";
import { overdueAt } from "./schedule.ts";

/*
 * The town office's figures: how many cases came in, were resolved, reopened
 * and rated in a period, how long claiming and resolving took in working time
 * (the calendar the alert scheduler measures deadlines on), and what is open
 * and overdue now. Everything is counted in two statements over the whole
 * town (or one district), whatever the number of cases; only the claim and
 * resolution times come back one per case (as array elements, not rows),
 * because working time is measured by the calendar, not in SQL. No figure carries a description, a
 * place finer than a road committee, or anything about a person.
 */

const DAY_MS = 86_400_000;

/** One bucket of a period (an ISO week, a month): from `start` up to the next bucket's start or the period's end. */
export interface FiguresBucket {
  start: Date;
  /** The local date (YYYY-MM-DD) the bucket starts on, in the town's zone. */
  startDate: string;
  /** How the bucket is named in tables and charts: "2026-W49" for a week, "2026-12" for a month. */
  label: string;
}

/** The time figures are counted over: [from, to) with its buckets in order (the first starts at `from`). */
export interface FiguresPeriod {
  from: Date;
  to: Date;
  buckets: FiguresBucket[];
}

/** The figures of one district, road committee, category or bucket (or the whole selection). */
export interface FigureRow {
  /** The district, road committee or category code, or the bucket's label; null for cases with none (unplaced, or handled by a district committee). */
  code: string | null;
  /** From the town data (a bucket's label in both languages); null with `code`. */
  name: Bilingual | null;
  /** Cases submitted in the period. */
  received: number;
  /** Resolutions in the period (a case resolved, reopened and resolved again counts twice). */
  resolved: number;
  /** Reopenings by reporters in the period. */
  reopened: number;
  /** Reopened ÷ resolved; null when nothing was resolved. */
  reopenRate: number | null;
  /** Cases still open now; null for a bucket (a past week has no "now"). */
  open: number | null;
  /** Open cases past their category's deadline now (the scheduler's definition); null for a bucket. */
  overdue: number | null;
  /** Median working minutes from submission to the first claim, of the claims made in the period. */
  medianClaimMinutes: number | null;
  /** Median working minutes from submission to resolution, of the resolutions in the period. */
  medianResolveMinutes: number | null;
  /** Cases whose reporter rated them in the period (each once, with the rating it holds now). */
  ratings: number;
  /** Average of those ratings (1–5); null without ratings. */
  ratingAverage: number | null;
}

/** Everything {@link reportFigures} counts, broken down four ways. */
export interface ReportFigures {
  period: FiguresPeriod;
  /** The district the figures are limited to; null for the whole town. */
  districtCode: string | null;
  total: FigureRow;
  /** Every district of the town in its order (then unplaced cases, if any), by where the case is. */
  districts: FigureRow[];
  /** Every road committee (then cases handled by a district committee, if any), by who handles the case. */
  roadCommittees: FigureRow[];
  categories: FigureRow[];
  /** One row per bucket of the period, in order. */
  buckets: FigureRow[];
  /** How many of the period's ratings gave 1, 2, 3, 4 and 5 stars (index 0 is one star). */
  ratingDistribution: [number, number, number, number, number];
}

/** What {@link reportFigures} reads from. */
export interface FiguresDeps {
  sql: Sql;
  townCode: string;
  /** The town's working calendar, the alert scheduler's (app.ts builds one for both). */
  calendar: WorkingCalendar;
}

/** Which cases {@link reportFigures} counts: a period, its "now" (for open and overdue), and optionally one district. */
export interface FiguresQuery {
  period: FiguresPeriod;
  now: Date;
  districtCode?: string | null;
}

/** A local date (YYYY-MM-DD) moved by whole days. */
const addDays = (date: string, days: number) => new Date((parseLocalDate(date)! + days) * DAY_MS).toISOString().slice(0, 10);

/** The ISO week-numbering label ("2026-W01") of the week starting on the Monday `monday` (YYYY-MM-DD). */
function isoWeekLabel(monday: string): string {
  // The ISO year is the year of the week's Thursday; week 1 is the one holding 4 January.
  const thursday = addDays(monday, 3);
  const year = Number(thursday.slice(0, 4));
  const week = Math.floor((parseLocalDate(thursday)! - parseLocalDate(`${year}-01-01`)!) / 7) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/**
 * The last `weeks` ISO weeks in the town's zone, the current one included:
 * from Monday 00:00 local of the earliest week up to `now`, one bucket a week.
 */
export function weeksPeriod(calendar: WorkingCalendar, now: Date, weeks: number): FiguresPeriod {
  const today = calendar.localDate(now);
  const weekday = ((new Date(parseLocalDate(today)! * DAY_MS).getUTCDay() + 6) % 7) + 1;
  const thisMonday = addDays(today, 1 - weekday);
  const buckets = Array.from({ length: weeks }, (_, index) => {
    const startDate = addDays(thisMonday, (index - weeks + 1) * 7);
    return { start: startOfLocalDay(startDate, calendar.settings.timeZone), startDate, label: isoWeekLabel(startDate) };
  });
  return { from: buckets[0]!.start, to: now, buckets };
}

/**
 * One calendar month in the town's zone as a period with one bucket: the
 * month `monthsBack` months before the one holding `now` (0: this month, up to
 * `now`; 1: last month, whole).
 */
export function monthPeriod(calendar: WorkingCalendar, now: Date, monthsBack: number): FiguresPeriod {
  const [year, month] = calendar.localDate(now).split("-").map(Number) as [number, number];
  const monthStart = (offset: number) => {
    const first = new Date(Date.UTC(year, month - 1 - offset, 1)).toISOString().slice(0, 10);
    return { date: first, at: startOfLocalDay(first, calendar.settings.timeZone) };
  };
  const start = monthStart(monthsBack);
  const to = monthsBack === 0 ? now : monthStart(monthsBack - 1).at;
  return { from: start.at, to, buckets: [{ start: start.at, startDate: start.date, label: start.date.slice(0, 7) }] };
}

type Named = Pick<District, "id" | "code" | "name" | "nameEn"> & { kind: "district" | "roadCommittee" | "category" };
/** A case's district, handling road committee and category, by id. */
type Dimensions = { district: string | null; roadCommittee: string | null; category: string; bucket: number | null };
type Measure = "received" | "resolved" | "reopened" | "rated" | "open" | "overdue";
/**
 * A count of one grouping set: `grouping` says which (GROUPING()'s bit mask over district, road committee,
 * category and bucket, a bit set for each column not grouped by), so each case is counted once per breakdown.
 */
type CountRow = Dimensions & { measure: Measure; value: number; count: number; grouping: number };

/** {@link CountRow.grouping} of each breakdown. */
const BY_DISTRICT = 0b0111;
const BY_COMMITTEE = 0b1011;
const BY_CATEGORY = 0b1101;
const BY_BUCKET = 0b1110;
/**
 * Every claim or every resolution of the period, case by case in parallel arrays: the case's district,
 * committee and category as 1-based positions in the id lists the statement was given (null for none),
 * its bucket, and when it was submitted and claimed or resolved (epoch ms).
 */
type DurationRow = {
  measure: "claimed" | "resolved";
  districts: (number | null)[];
  roadCommittees: (number | null)[];
  categories: (number | null)[];
  buckets: (number | null)[];
  from: number[];
  to: number[];
};

/** The bucket index (0-based) an instant falls in, null before the first. */
function bucketOf(column: Statement, buckets: readonly FiguresBucket[]): Statement {
  const branches = buckets.map((bucket, index) => sql`WHEN ${column} >= ${bucket.start} THEN ${index}::int`).reverse();
  return sql`CASE ${join(branches, " ")} ELSE NULL::int END`;
}

/** A middle value of the sorted numbers (the mean of the two middle ones, rounded, for an even count); null for none. */
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}

/** Running totals of one row until {@link finish} turns them into a {@link FigureRow}. */
class Tally {
  received = 0;
  resolved = 0;
  reopened = 0;
  open = 0;
  overdue = 0;
  ratings = 0;
  ratingSum = 0;
  claimMinutes: number[] = [];
  resolveMinutes: number[] = [];

  constructor(
    readonly code: string | null,
    readonly name: Bilingual | null,
  ) {}

  finish(withNow: boolean): FigureRow {
    return {
      code: this.code,
      name: this.name,
      received: this.received,
      resolved: this.resolved,
      reopened: this.reopened,
      reopenRate: this.resolved === 0 ? null : this.reopened / this.resolved,
      open: withNow ? this.open : null,
      overdue: withNow ? this.overdue : null,
      medianClaimMinutes: median(this.claimMinutes),
      medianResolveMinutes: median(this.resolveMinutes),
      ratings: this.ratings,
      ratingAverage: this.ratings === 0 ? null : this.ratingSum / this.ratings,
    };
  }
}

/**
 * The figures of the town's routed cases (a blocked reporter's cases count
 * nowhere) for `query.period`, limited to one district by code when given.
 * Districts are where the case is, road committees who handles it. Two
 * statements whatever the number of cases: the town's names, then the counts
 * per district, committee, category and bucket (grouping sets) together with
 * every claim and resolution of the period for the working-time medians.
 * What the benchmark of the figures page measures, with cohortFigures (classes/figures.ts)
 * and the compact's public counts (see loadFigures in the console).
 */
export async function reportFigures(deps: FiguresDeps, query: FiguresQuery): Promise<ReportFigures> {
  const { sql: db, townCode, calendar } = deps;
  const { period, now } = query;
  const districtCode = query.districtCode ?? null;
  const named = await db.query<Named & { sortOrder: number; deadlineWorkingDays: number }>(
    sql`SELECT 'district' AS "kind", "id", "code", "name", "nameEn", "sortOrder", 0 AS "deadlineWorkingDays" FROM "District" WHERE "townCode" = ${townCode}
      UNION ALL SELECT 'roadCommittee', "id", "code", "name", "nameEn", 0, 0 FROM "RoadCommittee" WHERE "townCode" = ${townCode}
      UNION ALL SELECT 'category', "id", "code", "name", "nameEn", "sortOrder", "deadlineWorkingDays" FROM "ReportCategory" WHERE "townCode" = ${townCode}
      ORDER BY "kind", "sortOrder", "code"`,
  );
  const categories = named.filter((row) => row.kind === "category");
  // Cases are grouped by the ids they hold (no join per case); the codes come from the names read above.
  const codeOf = new Map(named.map((row) => [row.id, row.code]));
  const idsOf = (kind: Named["kind"]) => named.filter((row) => row.kind === kind).map((row) => row.id);
  const [districtIds, committeeIds, categoryIds] = [idsOf("district"), idsOf("roadCommittee"), idsOf("category")];
  const districtId =
    districtCode === null ? undefined : (named.find((row) => row.kind === "district" && row.code === districtCode)?.id ?? null);
  const { from, to, buckets } = period;
  const cases = sql`
    base AS (
      SELECT r."id", r."createdAt", r."rating", r."districtId" AS "district", r."routedRoadCommitteeId" AS "roadCommittee",
        r."categoryId" AS "category", r."status" IN (${join(OPEN_STATUSES)}) AS "open", (${overdueAt(categories, calendar, now)}) AS "overdue"
      FROM "Report" r
      WHERE r."townCode" = ${townCode} AND r."routed" AND ${districtId === undefined ? sql`TRUE` : sql`r."districtId" = ${districtId}`}
    ),
    moves AS (
      SELECT e."reportId", e."createdAt" AS "at",
        CASE WHEN e."type" = 'REOPENED' THEN 'reopened' WHEN e."type" = 'RATED' THEN 'rated'
          WHEN e."toStatus" = 'RESOLVED' THEN 'resolved' ELSE 'claimed' END AS "measure"
      FROM "ReportEvent" e
      WHERE e."createdAt" >= ${from} AND e."createdAt" < ${to}
        AND (e."type" IN ('REOPENED', 'RATED') OR (e."type" = 'STATUS_CHANGED'
          AND (e."toStatus" = 'RESOLVED' OR (e."fromStatus" = 'SUBMITTED' AND e."toStatus" = 'ACKNOWLEDGED'))))
    )`;
  // One statement, so the cases and their moves are read once for both parts; each part comes back as JSON in one row.
  const [result] = await db.query<{ counts: CountRow[] | null; durations: DurationRow[] | null }>(
    sql`WITH ${cases},
      rated AS (SELECT "reportId", MAX("at") AS "at" FROM moves WHERE "measure" = 'rated' GROUP BY "reportId"),
      facts AS (
        SELECT 'received' AS "measure", b."district", b."roadCommittee", b."category", b."createdAt" AS "at", 0 AS "value"
          FROM base b WHERE b."createdAt" >= ${from} AND b."createdAt" < ${to}
        UNION ALL SELECT m."measure", b."district", b."roadCommittee", b."category", m."at", 0
          FROM moves m JOIN base b ON b."id" = m."reportId" WHERE m."measure" IN ('resolved', 'reopened')
        UNION ALL SELECT 'rated', b."district", b."roadCommittee", b."category", x."at", b."rating"
          FROM rated x JOIN base b ON b."id" = x."reportId" WHERE b."rating" IS NOT NULL
        UNION ALL SELECT 'open', b."district", b."roadCommittee", b."category", NULL, 0 FROM base b WHERE b."open"
        UNION ALL SELECT 'overdue', b."district", b."roadCommittee", b."category", NULL, 0 FROM base b WHERE b."overdue"
      ),
      bucketed AS (SELECT f.*, ${bucketOf(sql`f."at"`, buckets)} AS "bucket" FROM facts f),
      counts AS (
        SELECT "measure", "value", "district", "roadCommittee", "category", "bucket", COUNT(*)::int AS "count",
          GROUPING("district", "roadCommittee", "category", "bucket")::int AS "grouping"
        FROM bucketed GROUP BY "measure", "value", GROUPING SETS (("district"), ("roadCommittee"), ("category"), ("bucket"), ())
      ),
      -- One entry per measure, each case's figures in parallel arrays: far less to read than a row per case.
      durations AS (${join(
        (["claimed", "resolved"] as const).map(
          // A plain aggregate per measure: no GROUP BY, so the cases are not sorted first.
          (
            measure,
          ) => sql`SELECT ${measure}::text AS "measure", array_agg(array_position(${districtIds}::text[], b."district")) AS "districts",
            array_agg(array_position(${committeeIds}::text[], b."roadCommittee")) AS "roadCommittees",
            array_agg(array_position(${categoryIds}::text[], b."category")) AS "categories",
            array_agg(${bucketOf(sql`m."at"`, buckets)}) AS "buckets",
            array_agg(${epochMillis('b."createdAt"')}) AS "from", array_agg(${epochMillis('m."at"')}) AS "to"
          FROM moves m JOIN base b ON b."id" = m."reportId" WHERE m."measure" = ${measure}`,
        ),
        " UNION ALL ",
      )})
      SELECT (SELECT json_agg(c) FROM counts c) AS "counts", (SELECT json_agg(d) FROM durations d WHERE d."from" IS NOT NULL) AS "durations"`,
  );
  const counts = result?.counts ?? [];
  const durations = result?.durations ?? [];

  const tallies = (kind: Named["kind"]): Map<string | null, Tally> =>
    new Map(named.filter((row) => row.kind === kind).map((row) => [row.code, new Tally(row.code, { zh: row.name, en: row.nameEn })]));
  const total = new Tally(districtCode, null);
  const byDistrict = tallies("district");
  const byCommittee = tallies("roadCommittee");
  const byCategory = tallies("category");
  const byBucket = buckets.map((bucket) => new Tally(bucket.label, { zh: bucket.label, en: bucket.label }));
  const tallyIn = (map: Map<string | null, Tally>, code: string | null) => {
    let tally = map.get(code);
    if (!tally) map.set(code, (tally = new Tally(code, null)));
    return tally;
  };
  const ratingDistribution: ReportFigures["ratingDistribution"] = [0, 0, 0, 0, 0];
  const code = (id: string | null) => (id === null ? null : (codeOf.get(id) ?? null));
  const rowsOf = (row: Dimensions): Tally[] => [
    total,
    tallyIn(byDistrict, code(row.district)),
    tallyIn(byCommittee, code(row.roadCommittee)),
    tallyIn(byCategory, code(row.category)),
    ...(row.bucket === null ? [] : [byBucket[row.bucket]!]),
  ];
  const countedIn = (row: CountRow): Tally | undefined => {
    switch (row.grouping) {
      case BY_DISTRICT:
        return tallyIn(byDistrict, code(row.district));
      case BY_COMMITTEE:
        return tallyIn(byCommittee, code(row.roadCommittee));
      case BY_CATEGORY:
        return tallyIn(byCategory, code(row.category));
      case BY_BUCKET:
        return row.bucket === null ? undefined : byBucket[row.bucket];
      default:
        if (row.measure === "rated") ratingDistribution[row.value - 1]! += row.count;
        return total;
    }
  };
  for (const row of counts) {
    const tally = countedIn(row);
    if (!tally) continue;
    if (row.measure === "rated") {
      tally.ratings += row.count;
      tally.ratingSum += row.value * row.count;
    } else tally[row.measure] += row.count;
  }
  const idAt = (ids: string[], position: number | null) => (position === null ? null : ids[position - 1]!);
  for (const row of durations) {
    row.from.forEach((from, index) => {
      const minutes = calendar.workingMinutesBetween(new Date(from), new Date(row.to[index]!));
      const dimensions = {
        district: idAt(districtIds, row.districts[index]!),
        roadCommittee: idAt(committeeIds, row.roadCommittees[index]!),
        category: idAt(categoryIds, row.categories[index]!)!,
        bucket: row.buckets[index]!,
      };
      for (const tally of rowsOf(dimensions)) (row.measure === "claimed" ? tally.claimMinutes : tally.resolveMinutes).push(minutes);
    });
  }
  // The town's own districts, committees and categories come first in their order; a row for "none" only when it has cases.
  const listed = (map: Map<string | null, Tally>) =>
    [...map.values()].filter((tally) => tally.name !== null || tally.received + tally.resolved + tally.open + tally.ratings > 0);
  return {
    period,
    districtCode,
    total: total.finish(true),
    districts: listed(byDistrict)
      .filter((tally) => districtCode === null || tally.code === districtCode)
      .map((tally) => tally.finish(true)),
    roadCommittees: listed(byCommittee).map((tally) => tally.finish(true)),
    categories: listed(byCategory).map((tally) => tally.finish(true)),
    buckets: byBucket.map((tally) => tally.finish(false)),
    ratingDistribution,
  };
}
