import { join, raw, sql, type Sql, type Statement } from "../../db/sql.ts";
import type { District, Report, ReportCategory, ReportStatus, Road, RoadCommittee } from "../../generated/prisma/client.ts";
import type { Bilingual } from "../grid/index.ts";
import { coveredArea, type StaffRegistry } from "../staff/registry.ts";
import type { WorkingCalendar } from "../time/working-time.ts";
import { startOfLocalDay } from "../time/zone.ts";
import { OPEN_STATUSES } from "./context.ts";
import { inDistricts, inRoadCommittees, inStaffArea } from "./place.ts";
import { deadlineMinutes, overdueAt, type CategoryLimits } from "./schedule.ts";
import { placeLabel } from "./views.ts";

/** Every status a case can be in, in the order a case moves through them. */
export const CASE_STATUSES: readonly ReportStatus[] = ["SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS", "RESOLVED", "REJECTED"];

/** The orders the case desk offers; "due" puts open cases first, the longest overdue first, then those due soonest. */
export const CASE_SORTS = ["newest", "oldest", "updated", "due", "reference"] as const;
export type CaseSort = (typeof CASE_SORTS)[number];

/** Rows per page the desk offers; the first is the default. */
export const CASE_PAGE_SIZES = [25, 50, 100] as const;
export type CasePageSize = (typeof CASE_PAGE_SIZES)[number];

/**
 * Which cases to list. Every field narrows the list; an empty `statuses`
 * means any status. Dates are the town's local dates (YYYY-MM-DD), both
 * ends included; codes are the town data's.
 */
export interface CaseFilter {
  statuses: ReportStatus[];
  districtCode?: string;
  roadCommitteeCode?: string;
  categoryCode?: string;
  overdueOnly: boolean;
  createdFrom?: string;
  createdTo?: string;
  /** Part of a reference, or of a road's name in either language. */
  search?: string;
}

/** One case as the desk and its exports show it: nothing of the reporter, and the place only to the road. */
export interface CaseListRow {
  reference: string;
  status: ReportStatus;
  category: Bilingual;
  /** The road, else the neighbourhood, else the district: never the house number. */
  place: Bilingual;
  /** The district of the place, else of the route; null when the case lies in none. */
  district: Bilingual | null;
  /** The road committee the case is routed to, if any. */
  roadCommittee: Bilingual | null;
  createdAt: Date;
  updatedAt: Date;
  /** Open and past its deadline, as the scheduler's reminders count it. */
  overdue: boolean;
  /** The staff label of whoever last claimed (acknowledged) the case; null when nobody has. */
  claimedBy: string | null;
}

/** One page of the list: `page` is the page actually shown (a page past the end shows the last one). */
export interface CasePage {
  type: "ok";
  rows: CaseListRow[];
  total: number;
  page: number;
  pageSize: CasePageSize;
  pages: number;
}

/** Why someone gets no list: not (or no longer) staff, or staff whose grant covers no cases. */
export type CaseListRefusal = { type: "notStaff" } | { type: "notYourArea" };

/**
 * The staff's case list: every filter, order and page of the cases a member
 * of staff covers. The member is looked up again on every call (a revoked
 * member gets `notStaff`), and the list holds exactly the cases `coversCase`
 * lets them open: admins the whole town, district staff their districts and
 * road committees. Only routed cases are listed, as in the chat's list of
 * open cases: a blocked reporter's reports reach no one.
 */
export interface CaseList {
  page(
    staffId: string,
    filter: CaseFilter,
    sort: CaseSort,
    paging: { page: number; pageSize: CasePageSize },
  ): Promise<CasePage | CaseListRefusal>;
  /** Every matching case in `sort` order for an export, or only the count when there are more than `cap`. */
  all(
    staffId: string,
    filter: CaseFilter,
    sort: CaseSort,
    cap: number,
  ): Promise<{ type: "ok"; rows: CaseListRow[] } | { type: "tooMany"; total: number } | CaseListRefusal>;
}

const DAY_MS = 86_400_000;

type Row = Pick<Report, "reference" | "status" | "createdAt" | "updatedAt"> & {
  category: Pick<ReportCategory, "name" | "nameEn">;
  road: Pick<Road, "name" | "nameEn"> | null;
  neighbourhood: Pick<Road, "name" | "nameEn"> | null;
  district: Pick<District, "name" | "nameEn"> | null;
  roadCommittee: Pick<RoadCommittee, "name" | "nameEn"> | null;
  overdue: boolean;
  claimedBy: string | null;
};

/** A case row with the names it shows. */
const CASES = sql`"Report" r
  JOIN "ReportCategory" c ON c."id" = r."categoryId"
  LEFT JOIN "Road" road ON road."id" = r."roadId"
  LEFT JOIN "Neighbourhood" n ON n."id" = r."neighbourhoodId"
  LEFT JOIN "District" d ON d."id" = r."districtId"
  LEFT JOIN "District" rd ON rd."id" = r."routedDistrictId"
  LEFT JOIN "RoadCommittee" rc ON rc."id" = r."routedRoadCommitteeId"`;

const named = (alias: string) =>
  sql`CASE WHEN ${raw(alias)}."id" IS NULL THEN NULL ELSE json_build_object('name', ${raw(alias)}."name", 'nameEn', ${raw(alias)}."nameEn") END`;

/** Text for a LIKE pattern, its wildcards taken literally. */
const likeText = (text: string) => text.replace(/[\\%_]/g, (character) => `\\${character}`);

/**
 * Creates the case list of one town. Overdue means what the scheduler means
 * (its `overdueAt`, on the town's working calendar), and local dates are read
 * in the calendar's zone.
 */
export function createCaseList(deps: {
  /** Reports are driver SQL's (decision record 0007); the town's names are joined in. */
  sql: Sql;
  townCode: string;
  registry: Pick<StaffRegistry, "findById">;
  calendar: WorkingCalendar;
  clock?: () => Date;
}): CaseList {
  const { sql: db, townCode, registry, calendar } = deps;
  const clock = deps.clock ?? (() => new Date());
  const timeZone = calendar.settings.timeZone;

  const categoryLimits = () =>
    db.query<CategoryLimits>(
      sql`SELECT "id", "escalateAfterMinutes", "deadlineWorkingDays" FROM "ReportCategory" WHERE "townCode" = ${townCode}`,
    );

  /** The conditions of a list, or the refusal; with the categories' limits, which "overdue" and "due" need. */
  const prepare = async (staffId: string, filter: CaseFilter, now: Date) => {
    const [staff, categories] = await Promise.all([registry.findById(staffId), categoryLimits()]);
    if (!staff) return { type: "notStaff" } as const;
    const area = coveredArea(staff);
    if (!area) return { type: "notYourArea" } as const;
    const overdue = overdueAt(categories, calendar, now);
    // Conditions on the report's own columns only: the page and the count never join the grid's tables.
    const conditions: Statement[] = [sql`r."townCode" = ${townCode} AND r."routed"`, inStaffArea(area, townCode)];
    if (filter.statuses.length > 0) conditions.push(sql`r."status" IN (${join(filter.statuses)})`);
    if (filter.districtCode) {
      const codes = [filter.districtCode];
      conditions.push(
        sql`(${inDistricts(sql`r."districtId"`, townCode, codes)} OR ${inDistricts(sql`r."routedDistrictId"`, townCode, codes)})`,
      );
    }
    if (filter.roadCommitteeCode) conditions.push(inRoadCommittees(townCode, [filter.roadCommitteeCode]));
    if (filter.categoryCode)
      conditions.push(
        sql`r."categoryId" IN (SELECT "id" FROM "ReportCategory" WHERE "townCode" = ${townCode} AND "code" = ${filter.categoryCode})`,
      );
    if (filter.overdueOnly) conditions.push(overdue);
    if (filter.createdFrom) conditions.push(sql`r."createdAt" >= ${startOfLocalDay(filter.createdFrom, timeZone)}`);
    if (filter.createdTo) {
      const nextDate = new Date(Date.parse(`${filter.createdTo}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
      conditions.push(sql`r."createdAt" < ${startOfLocalDay(nextDate, timeZone)}`);
    }
    const search = filter.search?.trim();
    if (search) {
      const pattern = `%${likeText(search)}%`;
      conditions.push(
        sql`(r."reference" ILIKE ${pattern} OR r."roadId" IN (SELECT "id" FROM "Road" WHERE "townCode" = ${townCode} AND ("name" ILIKE ${pattern} OR "nameEn" ILIKE ${pattern})))`,
      );
    }
    return { type: "ok", where: join(conditions, " AND "), overdue, categories } as const;
  };

  const orderOf = (sort: CaseSort, categories: CategoryLimits[], now: Date): Statement => {
    switch (sort) {
      case "newest":
        return sql`r."createdAt" DESC, r."reference" DESC`;
      case "oldest":
        return sql`r."createdAt", r."reference"`;
      case "updated":
        return sql`r."updatedAt" DESC, r."reference" DESC`;
      case "reference":
        return sql`r."reference"`;
      case "due": {
        // A case falls due when its creation passes the instant from which its category's deadline has elapsed by now;
        // how far it lies from that instant orders open cases across categories (exactly so within one).
        const dueFrom =
          categories.length === 0
            ? sql`r."createdAt"`
            : sql`CASE r."categoryId" ${join(
                categories.map(
                  (category) =>
                    sql`WHEN ${category.id} THEN ${calendar.workingMinutesBefore(now, deadlineMinutes(category, calendar))}::timestamp(3)`,
                ),
                " ",
              )} END`;
        return sql`(r."status" IN (${join(OPEN_STATUSES)})) DESC, r."createdAt" - ${dueFrom}, r."reference"`;
      }
    }
  };

  // The page is chosen first on the bare report rows (by an index for the date orders); names, the overdue mark
  // and the claim are read for its rows only.
  const select = (where: Statement, overdue: Statement, order: Statement, limit: number, offset: number) =>
    db.query<Row>(sql`
      SELECT r."reference", r."status", r."createdAt", r."updatedAt",
        json_build_object('name', c."name", 'nameEn', c."nameEn") AS "category",
        ${named("road")} AS "road", ${named("n")} AS "neighbourhood",
        COALESCE(${named("d")}, ${named("rd")}) AS "district", ${named("rc")} AS "roadCommittee",
        (${overdue}) AS "overdue",
        (SELECT e."actorLabel" FROM "ReportEvent" e
          WHERE e."reportId" = r."id" AND e."type" = 'STATUS_CHANGED' AND e."toStatus" = 'ACKNOWLEDGED' AND e."actorKind" = 'STAFF'
          ORDER BY e."createdAt" DESC LIMIT 1) AS "claimedBy"
      FROM (SELECT r."id" FROM "Report" r WHERE ${where} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}) page
        JOIN ${CASES} ON r."id" = page."id"
      ORDER BY ${order}`);

  const count = async (where: Statement) =>
    (await db.query<{ total: number }>(sql`SELECT COUNT(*)::int AS "total" FROM "Report" r WHERE ${where}`))[0]!.total;

  return {
    async page(staffId, filter, sort, paging) {
      const now = clock();
      const prepared = await prepare(staffId, filter, now);
      if (prepared.type !== "ok") return prepared;
      const order = orderOf(sort, prepared.categories, now);
      const { pageSize } = paging;
      let page = Math.max(1, Math.floor(paging.page));
      const offsetOf = (n: number) => (n - 1) * pageSize;
      const [total, firstTry] = await Promise.all([
        count(prepared.where),
        select(prepared.where, prepared.overdue, order, pageSize, offsetOf(page)),
      ]);
      let rows = firstTry;
      if (rows.length === 0 && total > 0) {
        // Past the end (a hand-edited link, or a list that shrank): the last page instead.
        page = Math.ceil(total / pageSize);
        rows = await select(prepared.where, prepared.overdue, order, pageSize, offsetOf(page));
      }
      if (total === 0) page = 1;
      return { type: "ok", rows: rows.map(rowOf), total, page, pageSize, pages: Math.max(1, Math.ceil(total / pageSize)) };
    },

    async all(staffId, filter, sort, cap) {
      const now = clock();
      const prepared = await prepare(staffId, filter, now);
      if (prepared.type !== "ok") return prepared;
      const total = await count(prepared.where);
      if (total > cap) return { type: "tooMany", total };
      const rows = await select(prepared.where, prepared.overdue, orderOf(sort, prepared.categories, now), cap, 0);
      return { type: "ok", rows: rows.map(rowOf) };
    },
  };
}

const bilingual = (named: { name: string; nameEn: string } | null): Bilingual | null => named && { zh: named.name, en: named.nameEn };

function rowOf(row: Row): CaseListRow {
  return {
    reference: row.reference,
    status: row.status,
    category: bilingual(row.category)!,
    place: placeLabel(null, bilingual(row.road), bilingual(row.neighbourhood), bilingual(row.district)),
    district: bilingual(row.district),
    roadCommittee: bilingual(row.roadCommittee),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    overdue: row.overdue,
    claimedBy: row.claimedBy,
  };
}
