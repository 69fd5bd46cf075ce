import type { ChatUser, PrismaClient, ReportStatus } from "../../generated/prisma/client.ts";
import { sql, type Sql } from "../../db/sql.ts";
import type { GridDirectory } from "../grid/directory.ts";
import type { Bilingual, GridIndex } from "../grid/index.ts";
import { defaultRoute, resolvePlace } from "./place.ts";
import { DEFAULT_REPORTS_OPTIONS, type ReportsOptions } from "./reports.ts";
import type { ReportPlace, ReportRoute } from "./service.ts";

/** The statuses of a case still being handled: the ones residents may follow, staff list and duplicates match. */
export const OPEN_STATUSES: ReportStatus[] = ["SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS"];

/** A minute in milliseconds, the unit of the rate limit's window. */
export const MINUTE = 60_000;
/** A day in milliseconds, the unit of the duplicate and reopen windows. */
export const DAY = 24 * 60 * MINUTE;
/** How old the shops a resident picks from may be; see shopsByRoad in {@link createReportsContext}. */
const SHOPS_MAX_AGE_MS = 30_000;
// References as residents type them: any case, stray spaces.
const WHITESPACE = /\s+/g;

/** What the reports service of one town is made from (see createReportsService in reports.ts). */
export interface ReportsDeps {
  prisma: PrismaClient;
  /** The same database through its driver: what every report's steps run (the checks, the submission) goes this way. */
  sql: Sql;
  grid: GridDirectory;
  townCode: string;
  /** The town's IANA zone (config TIME_ZONE): a reference carries the year as the town reads it. */
  timeZone: string;
  clock?: () => Date;
  options?: Partial<ReportsOptions>;
}

/**
 * What every part of the reports service shares: its dependencies, its options,
 * and what it reads once per import of the town (categories, grid ids, shops)
 * rather than once per message.
 */
export function createReportsContext(deps: ReportsDeps) {
  const { prisma, sql: db, grid, townCode } = deps;
  const clock = deps.clock ?? (() => new Date());
  const options: ReportsOptions = { ...DEFAULT_REPORTS_OPTIONS, ...deps.options };

  /**
   * `read` once per grid index (rebuilt after a re-import) and, when `maxAgeMs` is given, at most
   * that old: what only an import changes is read once per import, not once per message. Concurrent
   * callers share the one read; a failed read is not kept, so the next caller tries again.
   */
  const perGridIndex = <T>(read: () => Promise<T>, maxAgeMs = Number.POSITIVE_INFINITY): (() => Promise<T>) & { forget(): void } => {
    let cached: { index: GridIndex; readAt: number; value: Promise<T> } | undefined;
    const get = () => {
      const index = grid.index;
      const now = Date.now();
      if (cached?.index === index && now - cached.readAt < maxAgeMs) return cached.value;
      const entry = { index, readAt: now, value: read() };
      cached = entry;
      entry.value.catch(() => {
        if (cached === entry) cached = undefined;
      });
      return entry.value;
    };
    return Object.assign(get, {
      forget: () => {
        cached = undefined;
      },
    });
  };

  // Categories come from the town-data import, as the grid does, and every free-text message asks
  // for them (the category guess), as does every submission. A category a re-import removed is
  // offered until the grid has seen that import (its timer), as the grid's places are.
  const categoryRows = perGridIndex(async () => prisma.reportCategory.findMany({ where: { townCode }, orderBy: { sortOrder: "asc" } }));

  // Reports and shops point at grid rows by id, the grid knows them by code. The ids of an import
  // stay as they are on re-import (rows are matched by code), so one read per grid index maps them:
  // no report read joins a road, neighbourhood, district or committee only for its code.
  const gridIds = perGridIndex(async () => {
    const byId = (rows: { id: string; code: string }[]) => new Map(rows.map((row) => [row.id, row.code]));
    const [roads, neighbourhoods, districts, roadCommittees] = await Promise.all([
      prisma.road.findMany({ where: { townCode }, select: { id: true, code: true } }),
      prisma.neighbourhood.findMany({ where: { district: { townCode } }, select: { id: true, code: true } }),
      prisma.district.findMany({ where: { townCode }, select: { id: true, code: true } }),
      prisma.roadCommittee.findMany({ where: { townCode }, select: { id: true, code: true } }),
    ]);
    return { roads: byId(roads), neighbourhoods: byId(neighbourhoods), districts: byId(districts), roadCommittees: byId(roadCommittees) };
  });
  type GridIds = Awaited<ReturnType<typeof gridIds>>;
  const codeOf = (codes: Map<string, string>, id: string | null) => (id === null ? undefined : codes.get(id));

  // Shops change only by import or when staff add one in chat (src/domain/compact), yet the report
  // flow asks for the shops on a road at the shop step and again at every summary. They are read
  // for the whole town at once, per grid index and at most SHOPS_MAX_AGE_MS old: a shop staff add
  // shows at once in this process (forgetShops) and within that time in any other Linli process on
  // the same database. A report naming a shop is checked against the database when it is submitted.
  const shopsByRoad = perGridIndex(async () => {
    const [rows, ids] = await Promise.all([
      prisma.merchant.findMany({
        where: { townCode },
        select: { code: true, name: true, nameEn: true, houseNumber: true, roadId: true },
        orderBy: [{ houseNumber: "asc" }, { code: "asc" }],
      }),
      gridIds(),
    ]);
    const byRoad = new Map<string, { code: string; name: Bilingual; houseNumber: number | null }[]>();
    for (const row of rows) {
      const roadCode = codeOf(ids.roads, row.roadId);
      if (roadCode === undefined) continue;
      const shops = byRoad.get(roadCode) ?? [];
      shops.push({ code: row.code, name: { zh: row.name, en: row.nameEn }, houseNumber: row.houseNumber });
      byRoad.set(roadCode, shops);
    }
    return byRoad;
  }, SHOPS_MAX_AGE_MS);

  /** The category's override, if it has one; the committee's label comes from the grid. */
  const overrideRoute = (
    category: { routeToRoadCommitteeId: string | null; routeToDistrictId: string | null },
    ids: GridIds,
  ): ReportRoute | null => {
    const index = grid.index;
    const committeeCode = codeOf(ids.roadCommittees, category.routeToRoadCommitteeId);
    const committee = committeeCode === undefined ? undefined : index.snapshot.roadCommittees.find((c) => c.code === committeeCode);
    if (committee) return { kind: "roadCommittee", code: committee.code, name: committee.name };
    const districtCode = codeOf(ids.districts, category.routeToDistrictId);
    const district = districtCode === undefined ? undefined : index.district(districtCode);
    if (district) return { kind: "districtCommittee", code: district.code, name: district.committee.name };
    return null;
  };

  /** The route a report would take, for showing it (the summary, a blocked reporter's view); submit decides it afresh in its transaction. */
  const routeFor = async (categoryCode: string, place: ReportPlace): Promise<ReportRoute | null> => {
    const category = (await categoryRows()).find((row) => row.code === categoryCode);
    return (category && overrideRoute(category, await gridIds())) ?? defaultRoute(grid.index, resolvePlace(grid.index, place));
  };

  /** The chat account of `user`, if it ever wrote to the bot. */
  const findUser = async (db: Sql, user: { channel: string; userId: string }): Promise<Pick<ChatUser, "id"> | undefined> =>
    (
      await db.query<Pick<ChatUser, "id">>(
        sql`SELECT "id" FROM "ChatUser" WHERE "channel" = ${user.channel} AND "channelUserId" = ${user.userId}`,
      )
    )[0];

  const normalizeReference = (reference: string) => reference.replace(WHITESPACE, "").toUpperCase();

  return {
    prisma,
    db,
    grid,
    townCode,
    timeZone: deps.timeZone,
    clock,
    options,
    categoryRows,
    gridIds,
    codeOf,
    shopsByRoad,
    overrideRoute,
    routeFor,
    findUser,
    normalizeReference,
  };
}

/** The shared part of one town's reports service, made by {@link createReportsContext}. */
export type ReportsContext = ReturnType<typeof createReportsContext>;
/** Grid ids mapped to codes, read once per grid index. */
export type GridIds = Awaited<ReturnType<ReportsContext["gridIds"]>>;
