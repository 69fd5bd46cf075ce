import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { ActorKind, Prisma, PrismaClient, Report, ReportStatus } from "../../generated/prisma/client.ts";
import { prismaSql, sql, type Sql } from "../../db/sql.ts";
import { chatUserUpsert, upsertChatUser } from "../chat-users.ts";
import type { CompactStanding } from "../compact/standing.ts";
import { TownNotLoadedError, type GridDirectory } from "../grid/directory.ts";
import type { Bilingual, GridIndex } from "../grid/index.ts";
import { storedText } from "../grid/text.ts";
import { outboxInsert, queueOutbox, type OutboxRow } from "../outbox/queue.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import { localYearOf } from "../time/zone.ts";
import { queueAlertUpdates } from "./alert-updates.ts";
import { formatReference } from "./reference.ts";
import { shopStandingOf, staffAlertRows } from "./alerts.ts";
import { merchantNoticeRows, queueMerchantStatusNotices } from "./merchant-answers.ts";
import { caseAreaOf, defaultRoute, distanceMeters, resolvePlace, storedRouteOf } from "./place.ts";
import type {
  ChatIdentity,
  DuplicateCheck,
  FeedbackResult,
  FollowResult,
  NearbyReport,
  PublicReportView,
  ReportCategoryInfo,
  ReportDraft,
  ReportPlace,
  ReportRoute,
  ReportsService,
  ReportStatusName,
  ReportSummary,
  ReportView,
  SubmitResult,
} from "./service.ts";

/** Tunable rules of reporting; {@link DEFAULT_REPORTS_OPTIONS} is the town's policy unless configured otherwise. */
export interface ReportsOptions {
  /** How far back an open report still counts as the same problem. */
  duplicateWindowDays: number;
  /** House numbers this far apart on one road count as the same spot. */
  duplicateHouseNumberSpan: number;
  /** Two shared locations this close (metres) count as the same spot. */
  duplicateDistanceMeters: number;
  /** At most `count` submissions per user in any `windowMinutes`. */
  rateLimit: { count: number; windowMinutes: number };
  /** How long after resolution "not fixed" reopens a case. */
  reopenWindowDays: number;
}

/** The defaults named in issue 3: 14 days, 20 house numbers, 150 m, 5 per 10 minutes, 14 days to reopen. */
export const DEFAULT_REPORTS_OPTIONS: ReportsOptions = {
  duplicateWindowDays: 14,
  duplicateHouseNumberSpan: 20,
  duplicateDistanceMeters: 150,
  rateLimit: { count: 5, windowMinutes: 10 },
  reopenWindowDays: 14,
};

/** A member of staff acting on a report; `label` is what residents see in the timeline (a role, not a name). */
export interface StaffActor {
  staffId: string;
  label: string;
}

export type RejectReasonName = "NOT_OUR_RESPONSIBILITY" | "DUPLICATE" | "INVALID";

/** The outcome of a staff action: applied, or why not. Never thrown, so a chat handler can answer every case. */
export type StaffActionResult =
  | { type: "ok"; reference: string; status: ReportStatusName }
  | { type: "notFound" }
  /** The move is not allowed from the report's status (closed reports cannot change at all). */
  | { type: "badTransition"; from: ReportStatusName; to: ReportStatusName }
  /** Someone else changed the report between reading and writing it; read it again and decide. */
  | { type: "conflict" }
  | { type: "noteRequired" }
  /** The duplicate's original or the re-route target does not exist (or is the report itself). */
  | { type: "unknownTarget" };

/**
 * What staff do with a case (used by the staff features). Each change writes a
 * timeline entry with who and when, and queues an update to the reporter and
 * every follower, in one transaction.
 */
export interface StaffReportActions {
  acknowledge(reference: string, actor: StaffActor): Promise<StaffActionResult>;
  startProgress(reference: string, actor: StaffActor, note?: string): Promise<StaffActionResult>;
  /** Needs a note saying what was done; a photo (media id) may show it. */
  resolve(reference: string, actor: StaffActor, note: string, photoId?: string): Promise<StaffActionResult>;
  /** DUPLICATE needs the original's reference; the reporter and followers then follow the original. */
  reject(
    reference: string,
    actor: StaffActor,
    reason: RejectReasonName,
    note: string,
    duplicateOfReference?: string,
  ): Promise<StaffActionResult>;
  /** Hands an open case to another committee; the case keeps its timeline. */
  reroute(
    reference: string,
    actor: StaffActor,
    target: { roadCommitteeCode: string } | { districtCode: string },
    note: string,
  ): Promise<StaffActionResult>;
  /** A case as the staff handling it see it; undefined for an unknown reference. */
  caseForStaff(reference: string): Promise<StaffCaseView | undefined>;
  /** Open cases in an area ("town": all of them), oldest first, at most `limit`, with the total count. */
  openCases(area: StaffArea, limit: number): Promise<{ cases: OpenCaseLine[]; total: number }>;
  /** Blocks a chat user (given directly, or as the reporter of a report): their later reports are kept but not routed. */
  blockUser(
    target: { channel: string; userId: string } | { reference: string },
    actor: StaffActor,
    reason: string,
  ): Promise<{ type: "ok" } | { type: "notFound" }>;
}

/** Where a member of staff works: their districts and road committees, or the whole town. */
export type StaffArea = { districtCodes: string[]; roadCommitteeCodes: string[] } | "town";

/** One open case in a staff list. */
export interface OpenCaseLine {
  reference: string;
  category: Bilingual;
  status: ReportStatusName;
  place: Bilingual;
  supporters: number;
  createdAt: Date;
}

/**
 * A case for the staff handling it: the description as written (staff need the
 * number a resident left for the shop), the photos, who did what, and the
 * reporter's contact only when the reporter allowed staff to contact them.
 */
export interface StaffCaseView extends OpenCaseLine {
  /** Who may act on it: the districts of its place and route, and its road committee. */
  area: { districtCodes: string[]; roadCommitteeCode: string | null };
  clause: { ref: string; text: Bilingual };
  position: { latitude: number; longitude: number } | null;
  description: string;
  shop: Bilingual | null;
  /** Where the shop stands with the compact in force; null when no shop is named. */
  shopStanding: CompactStanding | null;
  photoIds: string[];
  route: ReportRoute | null;
  rejectReason: RejectReasonName | null;
  reporterContact: { channel: string; userId: string; displayName: string | null } | null;
  timeline: {
    at: Date;
    type: ReportView["timeline"][number]["type"];
    status: ReportStatusName | null;
    note: string | null;
    by: "resident" | "staff" | "merchant" | "system";
    actorLabel: string | null;
  }[];
}

/** Outbox kinds this service writes; the delivery worker renders each for the recipient. */
export type ReportOutboxKind = "report.submitted" | "report.status" | "report.rerouted";

/**
 * The payload of every report outbox row: one recipient's view of one change.
 * Free text is already masked, because followers are not the staff handling the case.
 */
export interface ResidentUpdatePayload {
  reference: string;
  status: ReportStatusName;
  note: string | null;
  rejectReason: RejectReasonName | null;
  /** The original a duplicate was merged into; the recipient now follows it. */
  duplicateOf: string | null;
  route: ReportRoute | null;
  /** Only the reporter is asked "fixed?" and for a rating, only after resolution. */
  askFeedback: boolean;
  reopened: boolean;
  relation: "reporter" | "follower";
  locale: "zh" | "en";
}

/** Raised when a draft names a category the town does not have (a stale session after a re-import). */
export class UnknownCategoryError extends Error {
  constructor(
    readonly townCode: string,
    readonly categoryCode: string,
  ) {
    super(`Town "${townCode}" has no report category "${categoryCode}".`);
    this.name = "UnknownCategoryError";
  }
}

/** Raised when a draft breaks the shape the service accepts (more than three photos, half a location, …). */
export class InvalidReportDraftError extends Error {
  constructor(readonly issues: z.core.$ZodIssue[]) {
    super(`Invalid report draft: ${issues.map((issue) => `${issue.path.join(".") || "draft"}: ${issue.message}`).join("; ")}`);
    this.name = "InvalidReportDraftError";
  }
}

const MAX_PHOTOS = 3;
const MAX_DESCRIPTION_LENGTH = 4000;

const draftSchema = z.object({
  categoryCode: z.string().min(1),
  place: z
    .object({
      roadCode: z.string().min(1).optional(),
      houseNumber: z.number().int().positive().optional(),
      neighbourhoodCode: z.string().min(1).optional(),
      districtCode: z.string().min(1).optional(),
      latitude: z.number().min(-90).max(90).optional(),
      longitude: z.number().min(-180).max(180).optional(),
    })
    .refine((place) => (place.latitude === undefined) === (place.longitude === undefined), "latitude and longitude come together"),
  description: z.string().max(MAX_DESCRIPTION_LENGTH).transform(storedText),
  photoIds: z.array(z.string().min(1)).max(MAX_PHOTOS),
  merchantCode: z.string().min(1).optional(),
  contactAllowed: z.boolean(),
});

const feedbackSchema = z.union([z.object({ fixed: z.boolean() }), z.object({ rating: z.number().int().min(1).max(5) })]);

const OPEN_STATUSES: ReportStatus[] = ["SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS"];

// SUBMITTED → ACKNOWLEDGED → IN_PROGRESS → RESOLVED; an acknowledged case may be resolved at once; any open case may be rejected.
const ALLOWED: Record<ReportStatus, ReportStatus[]> = {
  SUBMITTED: ["ACKNOWLEDGED", "REJECTED"],
  ACKNOWLEDGED: ["IN_PROGRESS", "RESOLVED", "REJECTED"],
  IN_PROGRESS: ["RESOLVED", "REJECTED"],
  RESOLVED: [],
  REJECTED: [],
};

// A town's largest transaction here is a handful of rows, but PGlite queues a burst of
// residents on its one connection and PostgreSQL queues same-spot submissions on a lock:
// allow more than Prisma's 5 s before giving up.
const TRANSACTION_OPTIONS = { timeout: 30_000, maxWait: 30_000 };

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const MAX_NEARBY = 5;
/** A degree of latitude is about this long everywhere; a degree of longitude shrinks with cos(latitude). */
const METERS_PER_DEGREE_LATITUDE = 111_320;
// The candidates a duplicate check looks at; a town files far fewer open reports of one category in the window.
const NEARBY_CANDIDATES = 500;
/** How old the shops a resident picks from may be; see shopsByRoad in {@link createReportsService}. */
const SHOPS_MAX_AGE_MS = 30_000;
// References as residents type them: any case, stray spaces.
const WHITESPACE = /\s+/g;

/** What the duplicate check reads of an open report near the spot. */
interface NearbyCandidate {
  id: string;
  reference: string;
  reporterId: string;
  latitude: number | null;
  longitude: number | null;
  houseNumber: number | null;
  roadId: string | null;
  neighbourhoodId: string | null;
}
/** What showing a nearby report to a resident adds to {@link NearbyCandidate}. */
interface NearbyShown {
  status: ReportStatus;
  description: string;
  createdAt: Date;
  districtId: string | null;
  supporters: number;
}
// A popular report is shown without counting its followers: the count is kept on the report.
const SHOWN_COLUMNS = `, r."status", r."description", r."createdAt", r."districtId", r."followerCount" AS "supporters"`;

type Tx = Prisma.TransactionClient;
type Db = PrismaClient | Tx;

/** The reports service keeps the town's shops in memory; whoever adds a shop tells it here (see createCompactService's onShopAdded). */
export interface ShopsCache {
  /** Drops the shops read so far, so the next report step reads them again. */
  forgetShops(): void;
}

const reportInclude = {
  category: true,
  road: true,
  neighbourhood: true,
  district: true,
  routedRoadCommittee: true,
  routedDistrict: true,
  _count: { select: { photos: true } },
} as const;
type LoadedReport = Prisma.ReportGetPayload<{ include: typeof reportInclude }>;

/**
 * Creates the reports service of one town. All writes that belong together
 * (report, photos, timeline entry, outbox rows) happen in one transaction, so
 * a crash never leaves half a report or a lost update. Places and routes are
 * resolved from the in-memory grid of `grid`, not from the grid tables.
 */
export function createReportsService(deps: {
  prisma: PrismaClient;
  /** The same database through its driver: what every report's steps run (the checks, the submission) goes this way. */
  sql: Sql;
  grid: GridDirectory;
  townCode: string;
  /** The town's IANA zone (config TIME_ZONE): a reference carries the year as the town reads it. */
  timeZone: string;
  clock?: () => Date;
  options?: Partial<ReportsOptions>;
}): ReportsService & StaffReportActions & ShopsCache {
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

  /** The shop a draft names, read from the database at submission (the cached list may be up to SHOPS_MAX_AGE_MS old); undefined when it is gone. */
  const shopNamed = async (code: string) =>
    (
      await db.query<{ id: string; name: string; nameEn: string }>(
        `SELECT "id", "name", "nameEn" FROM "Merchant" WHERE "townCode" = $1 AND "code" = $2`,
        [townCode, code],
      )
    )[0];

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

  const findUser = (db: Db, user: { channel: string; userId: string }) =>
    db.chatUser.findUnique({ where: { channel_channelUserId: { channel: user.channel, channelUserId: user.userId } } });

  /** `reporter` names the reporter by id, or by chat account (one query, and none of a stranger's reports match). */
  const rateLimit = async (
    db: Sql,
    reporter: { reporterId: string } | { reporter: { channel: string; channelUserId: string } },
  ): Promise<{ allowed: true } | { allowed: false; retryAfterMinutes: number }> => {
    const now = clock().getTime();
    const windowMs = options.rateLimit.windowMinutes * MINUTE;
    const since = new Date(now - windowMs);
    const recent =
      "reporterId" in reporter
        ? await db.query<{ createdAt: Date }>(
            `SELECT "createdAt" FROM "Report" WHERE "reporterId" = $1 AND "createdAt" > $2 ORDER BY "createdAt" DESC LIMIT $3`,
            [reporter.reporterId, since, options.rateLimit.count],
          )
        : await db.query<{ createdAt: Date }>(
            `SELECT r."createdAt" FROM "Report" r JOIN "ChatUser" u ON u."id" = r."reporterId"
             WHERE u."channel" = $1 AND u."channelUserId" = $2 AND r."createdAt" > $3 ORDER BY r."createdAt" DESC LIMIT $4`,
            [reporter.reporter.channel, reporter.reporter.channelUserId, since, options.rateLimit.count],
          );
    if (recent.length < options.rateLimit.count) return { allowed: true };
    // A slot frees when the oldest of the last `count` submissions leaves the window.
    const freeAt = recent[options.rateLimit.count - 1]!.createdAt.getTime() + windowMs;
    return { allowed: false, retryAfterMinutes: Math.max(1, Math.ceil((freeAt - now) / MINUTE)) };
  };

  const placeOf = (report: LoadedReport): Bilingual =>
    placeLabel(
      report.houseNumber,
      report.road && { zh: report.road.name, en: report.road.nameEn },
      report.neighbourhood && { zh: report.neighbourhood.name, en: report.neighbourhood.nameEn },
      report.district && { zh: report.district.name, en: report.district.nameEn },
    );

  const openCaseLine = (report: LoadedReport): OpenCaseLine => ({
    reference: report.reference,
    category: { zh: report.category.name, en: report.category.nameEn },
    status: report.status,
    place: placeOf(report),
    supporters: report.followerCount,
    createdAt: report.createdAt,
  });

  /** Why this user may see a report in full (filed it, follows it, is on the town's staff), or "none". */
  const relationTo = async (report: LoadedReport, user: ChatIdentity): Promise<ReportView["relation"] | "none"> => {
    const me = await findUser(prisma, user);
    if (!me) return "none";
    if (report.reporterId === me.id) return "reporter";
    const [following, staff] = await Promise.all([
      prisma.reportFollower.findUnique({ where: { reportId_userId: { reportId: report.id, userId: me.id } }, select: { id: true } }),
      prisma.staffMember.findFirst({ where: { townCode, chatUserId: me.id, revokedAt: null }, select: { id: true } }),
    ]);
    return following ? "follower" : staff ? "staff" : "none";
  };

  /** What the reporter is shown as the route: for an unrouted (blocked) report the route it would have had, so nothing gives the block away. */
  const shownRoute = async (report: LoadedReport): Promise<ReportRoute | null> => {
    if (report.routed) return storedRouteOf(report);
    return routeFor(report.category.code, {
      roadCode: report.road?.code,
      houseNumber: report.houseNumber ?? undefined,
      neighbourhoodCode: report.neighbourhood?.code,
      districtCode: report.district?.code,
    });
  };

  /**
   * Open reports of the category near the place, newest first, at most MAX_NEARBY, with only what the check itself needs,
   * plus `columns` of each (e.g. {@link SHOWN_COLUMNS} for the resident's duplicate question), in the same statement;
   * with `filedSince`, only those filed at or after it. `idsOf` gives the grid ids once there are candidates; inside a
   * transaction it must not read (PGlite has one connection).
   */
  const nearbyOpen = async <Row extends NearbyCandidate = NearbyCandidate>(
    db: Sql,
    categoryCode: string,
    place: ReportPlace,
    idsOf: () => Promise<GridIds>,
    { columns = "", filedSince }: { columns?: string; filedSince?: Date } = {},
  ) => {
    const windowStart = clock().getTime() - options.duplicateWindowDays * DAY;
    const since = new Date(Math.max(windowStart, filedSince?.getTime() ?? windowStart));
    const hasPosition = place.latitude !== undefined && place.longitude !== undefined;
    // The database narrows to reports that can pass the filter below (within a bounding box of the
    // distance, on the same road near the house number, or in the same neighbourhood), so a busy
    // category costs a few rows, not NEARBY_CANDIDATES fully loaded reports per check.
    const params: unknown[] = [townCode, categoryCode, since, NEARBY_CANDIDATES];
    const param = (value: unknown) => `$${params.push(value)}`;
    const near: string[] = [];
    if (hasPosition) {
      const latitudeSpan = (options.duplicateDistanceMeters / METERS_PER_DEGREE_LATITUDE) * 1.01;
      const longitudeSpan = latitudeSpan / Math.max(Math.cos((place.latitude! * Math.PI) / 180), 0.01);
      near.push(
        `(r."latitude" BETWEEN ${param(place.latitude! - latitudeSpan)} AND ${param(place.latitude! + latitudeSpan)} AND r."longitude" BETWEEN ${param(place.longitude! - longitudeSpan)} AND ${param(place.longitude! + longitudeSpan)})`,
      );
    }
    if (place.roadCode) {
      const span = options.duplicateHouseNumberSpan;
      const onRoad = `r."roadId" = (SELECT "id" FROM "Road" WHERE "townCode" = $1 AND "code" = ${param(place.roadCode)})`;
      near.push(
        place.houseNumber === undefined
          ? `(${onRoad})`
          : `(${onRoad} AND (r."houseNumber" IS NULL OR r."houseNumber" BETWEEN ${param(place.houseNumber - span)} AND ${param(place.houseNumber + span)}))`,
      );
    } else if (place.neighbourhoodCode !== undefined) {
      near.push(
        `r."neighbourhoodId" IN (SELECT n."id" FROM "Neighbourhood" n JOIN "District" d ON d."id" = n."districtId" WHERE d."townCode" = $1 AND n."code" = ${param(place.neighbourhoodCode)})`,
      );
    }
    if (near.length === 0) return [];
    const candidates = await db.query<Row>(
      `SELECT r."id", r."reference", r."reporterId", r."latitude", r."longitude", r."houseNumber", r."roadId", r."neighbourhoodId"${columns}
       FROM "Report" r JOIN "ReportCategory" c ON c."id" = r."categoryId"
       WHERE r."townCode" = $1 AND c."code" = $2 AND r."status" IN (${OPEN_STATUSES.map((status) => `'${status}'`).join(", ")}) AND r."createdAt" >= $3
         AND (${near.join(" OR ")})
       ORDER BY r."createdAt" DESC, r."reference" DESC
       LIMIT $4`,
      params,
    );
    if (candidates.length === 0) return [];
    const ids = await idsOf();
    return candidates
      .map((report) => ({
        ...report,
        road: codeOf(ids.roads, report.roadId),
        neighbourhood: codeOf(ids.neighbourhoods, report.neighbourhoodId),
      }))
      .filter((report) => {
        if (hasPosition && report.latitude !== null && report.longitude !== null) {
          if (distanceMeters(place.latitude!, place.longitude!, report.latitude, report.longitude) <= options.duplicateDistanceMeters)
            return true;
        }
        if (place.roadCode) {
          if (report.road !== place.roadCode) return false;
          if (place.houseNumber === undefined || report.houseNumber === null) return true;
          return Math.abs(place.houseNumber - report.houseNumber) <= options.duplicateHouseNumberSpan;
        }
        return place.neighbourhoodCode !== undefined && report.neighbourhood === place.neighbourhoodCode;
      })
      .slice(0, MAX_NEARBY);
  };

  /**
   * Makes `userId` a follower of `reportId` once, with its timeline entry, the report's
   * `updatedAt` and `followerCount`, in one statement; false when they already were. The only
   * way a follower is added, which keeps the count right.
   */
  const addFollower = async (tx: Sql, reportId: string, userId: string, actorKind: ActorKind): Promise<boolean> => {
    const [row] = await tx.query<{ added: number }>(
      `WITH added AS (
         INSERT INTO "ReportFollower" ("id", "reportId", "userId", "createdAt") VALUES ($1, $2, $3, $4) ON CONFLICT ("reportId", "userId") DO NOTHING RETURNING "id"
       ), event AS (
         INSERT INTO "ReportEvent" ("id", "reportId", "type", "actorKind", "actorId", "createdAt") SELECT $5, $2, 'FOLLOWED', $6::"ActorKind", $7, $4 FROM added
       ), touched AS (
         UPDATE "Report" SET "updatedAt" = $4, "followerCount" = "followerCount" + 1 WHERE "id" = $2 AND EXISTS (SELECT 1 FROM added)
       )
       SELECT COUNT(*)::int AS "added" FROM added`,
      [randomUUID(), reportId, userId, clock(), randomUUID(), actorKind, actorKind === "RESIDENT" ? userId : null],
    );
    return row!.added > 0;
  };

  type ResidentUpdate = Omit<ResidentUpdatePayload, "reference" | "relation" | "locale" | "askFeedback"> & {
    askReporterForFeedback?: boolean;
  };

  /** Queues one update per recipient (reporter and followers, minus `except`) in the caller's transaction. */
  const notifyResidents = async (
    tx: Tx,
    reportId: string,
    eventId: string,
    kind: ReportOutboxKind,
    content: ResidentUpdate,
    except?: string,
  ) => {
    const report = await tx.report.findUniqueOrThrow({
      where: { id: reportId },
      include: { reporter: true, followers: { include: { user: true }, orderBy: { createdAt: "asc" } } },
    });
    // One statement for every recipient, however many follow the case.
    await queueOutbox(
      prismaSql(tx),
      residentUpdateRows(report, [report.reporter, ...report.followers.map((f) => f.user)], eventId, kind, content, except),
      clock(),
    );
  };

  /** The outbox rows of {@link notifyResidents} for recipients the caller already holds (a report just created has only its reporter). */
  const residentUpdateRows = (
    report: { reference: string; reporterId: string },
    recipients: { id: string; channel: string; chatId: string; locale: string }[],
    eventId: string,
    kind: ReportOutboxKind,
    content: ResidentUpdate,
    except?: string,
  ): OutboxRow[] => {
    const { askReporterForFeedback, ...rest } = content;
    return recipients
      .filter((user) => user.id !== except)
      .map((user) => {
        const relation = user.id === report.reporterId ? "reporter" : "follower";
        const payload: ResidentUpdatePayload = {
          ...rest,
          reference: report.reference,
          relation,
          locale: user.locale === "en" ? "en" : "zh",
          askFeedback: relation === "reporter" && askReporterForFeedback === true,
        };
        return { dedupeKey: `${eventId}:${user.id}`, kind, channel: user.channel, chatId: user.chatId, payload };
      });
  };

  const nextReference = async (tx: Sql): Promise<string> => {
    const year = localYearOf(clock(), deps.timeZone);
    // One statement takes the number and moves the counter on: concurrent submissions queue on
    // the counter row and each gets its own number; a rolled-back submission gives its number back.
    // The town's prefix comes with it, saving a query per report.
    const [row] = await tx.query<{ issued: number; prefix: string | null }>(
      `INSERT INTO "ReferenceCounter" ("townCode", "year", "next") VALUES ($1, $2, 2)
       ON CONFLICT ("townCode", "year") DO UPDATE SET "next" = "ReferenceCounter"."next" + 1
       RETURNING "next" - 1 AS "issued", (SELECT "referencePrefix" FROM "Town" WHERE "code" = $1) AS "prefix"`,
      [townCode, year],
    );
    if (!row?.prefix) throw new TownNotLoadedError(townCode);
    return formatReference(row.prefix, year, row.issued);
  };

  const routeIds = async (db: Db, route: ReportRoute | null) => {
    if (route?.kind === "roadCommittee") {
      const committee = await db.roadCommittee.findUnique({
        where: { townCode_code: { townCode, code: route.code } },
        select: { id: true },
      });
      return committee && { routedRoadCommitteeId: committee.id, routedDistrictId: null };
    }
    if (route?.kind === "districtCommittee") {
      const district = await db.district.findUnique({ where: { townCode_code: { townCode, code: route.code } }, select: { id: true } });
      return district && { routedRoadCommitteeId: null, routedDistrictId: district.id };
    }
    return null;
  };

  const normalizeReference = (reference: string) => reference.replace(WHITESPACE, "").toUpperCase();

  /**
   * Moves a report from its current status to `to` if that is allowed and nobody
   * moved it first (the update is conditional on the status it was read with),
   * then writes the timeline entry and the residents' updates.
   */
  const transition = (
    reference: string,
    actor: StaffActor,
    to: ReportStatus,
    details: { note?: string; photoId?: string; rejectReason?: RejectReasonName; duplicateOfReference?: string },
  ): Promise<StaffActionResult> =>
    prisma.$transaction(async (tx): Promise<StaffActionResult> => {
      const report = await tx.report.findUnique({ where: { reference: normalizeReference(reference) } });
      if (!report) return { type: "notFound" };
      if (!ALLOWED[report.status].includes(to)) return { type: "badTransition", from: report.status, to };
      const original = details.duplicateOfReference
        ? await tx.report.findUnique({ where: { reference: normalizeReference(details.duplicateOfReference) } })
        : null;
      if (details.duplicateOfReference && (!original || original.id === report.id)) return { type: "unknownTarget" };
      const now = clock();
      const moved = await tx.report.updateMany({
        where: { id: report.id, status: report.status },
        data: {
          status: to,
          updatedAt: now,
          ...(to === "RESOLVED" ? { resolvedAt: now } : {}),
          ...(details.rejectReason ? { rejectReason: details.rejectReason, duplicateOfId: original?.id ?? null } : {}),
        },
      });
      if (moved.count === 0) return { type: "conflict" };
      const event = await tx.reportEvent.create({
        data: {
          reportId: report.id,
          type: "STATUS_CHANGED",
          fromStatus: report.status,
          toStatus: to,
          note: details.note ?? null,
          photoId: details.photoId ?? null,
          actorKind: "STAFF",
          actorId: actor.staffId,
          actorLabel: actor.label,
          createdAt: now,
        },
      });
      await notifyResidents(tx, report.id, event.id, "report.status", {
        status: to,
        note: details.note ? maskPersonalNumbers(details.note) : null,
        rejectReason: details.rejectReason ?? null,
        duplicateOf: original?.reference ?? null,
        route: null,
        reopened: false,
        askReporterForFeedback: to === "RESOLVED",
      });
      await queueAlertUpdates(tx, {
        reportId: report.id,
        eventId: event.id,
        status: to,
        actorLabel: actor.label,
        note: details.note ?? null,
        createdAt: now,
      });
      await queueMerchantStatusNotices(tx, { reportId: report.id, eventId: event.id, status: to, createdAt: now });
      if (original) {
        // Everyone waiting on the duplicate now waits on the original, and only there.
        const followers = await tx.reportFollower.findMany({ where: { reportId: report.id }, orderBy: { createdAt: "asc" } });
        for (const userId of [report.reporterId, ...followers.map((f) => f.userId)]) {
          if (userId !== original.reporterId) await addFollower(prismaSql(tx), original.id, userId, "SYSTEM");
        }
        await tx.reportFollower.deleteMany({ where: { reportId: report.id } });
      }
      return { type: "ok", reference: report.reference, status: to };
    }, TRANSACTION_OPTIONS);

  return {
    forgetShops: () => shopsByRoad.forget(),

    async categories() {
      return (await categoryRows()).map(toCategoryInfo);
    },

    async merchantsOnRoad(roadCode) {
      return (await shopsByRoad()).get(roadCode) ?? [];
    },

    routeFor,

    async checkRateLimit(user) {
      return rateLimit(db, { reporter: { channel: user.channel, channelUserId: user.userId } });
    },

    async findNearbyOpen(categoryCode, place) {
      // Most places have none; the few found come with what showing them needs. Names come from
      // the grid and the categories read per import, so this is one statement.
      const near = await nearbyOpen<NearbyCandidate & NearbyShown>(db, categoryCode, place, gridIds, { columns: SHOWN_COLUMNS });
      if (near.length === 0) return [];
      // A category imported after this index was built is unknown here until the grid refreshes: not shown meanwhile.
      const category = (await categoryRows()).find((row) => row.code === categoryCode);
      if (!category) return [];
      const [ids, index] = [await gridIds(), grid.index];
      return near.map((report): NearbyReport => {
        const districtCode = codeOf(ids.districts, report.districtId);
        return {
          reference: report.reference,
          category: { zh: category.name, en: category.nameEn },
          status: report.status,
          place: placeLabel(
            report.houseNumber,
            report.road === undefined ? undefined : index.road(report.road)?.name,
            report.neighbourhood === undefined ? undefined : index.neighbourhood(report.neighbourhood)?.name,
            districtCode === undefined ? undefined : index.district(districtCode)?.name,
          ),
          description: maskPersonalNumbers(report.description),
          supporters: report.supporters,
          createdAt: report.createdAt,
        };
      });
    },

    async follow(reference, user): Promise<FollowResult> {
      // The last step of most reports in a busy street: two statements, each atomic on its own, and no
      // transaction around them (decision record 0005). Nothing is locked between them, as nothing was
      // when this ran in one transaction: a report closed in between still gains the follower.
      const [found] = await db.query<{ userId: string; report: Pick<Report, "id" | "reference" | "status" | "reporterId"> | null }>(
        sql`WITH "user" AS (${chatUserUpsert(user, clock())})
         SELECT u."id" AS "userId", CASE WHEN r."id" IS NULL THEN NULL ELSE json_build_object('id', r."id", 'reference', r."reference", 'status', r."status", 'reporterId', r."reporterId") END AS "report"
         FROM "user" u LEFT JOIN "Report" r ON r."reference" = ${normalizeReference(reference)}`,
      );
      const { userId, report } = found!;
      if (!report) return { type: "notFound" };
      if (!OPEN_STATUSES.includes(report.status)) return { type: "closed", reference: report.reference };
      if (report.reporterId === userId) return { type: "ownReport", reference: report.reference };
      return {
        type: (await addFollower(db, report.id, userId, "RESIDENT")) ? "followed" : "alreadyFollowing",
        reference: report.reference,
      };
    },

    async submit(input: ReportDraft, user: ChatIdentity, duplicates: DuplicateCheck): Promise<SubmitResult> {
      const parsed = draftSchema.safeParse(input);
      if (!parsed.success) throw new InvalidReportDraftError(parsed.error.issues);
      const draft = parsed.data;
      const declined = new Set(duplicates.declined.map(normalizeReference));
      // Read before the transaction: on PGlite's one connection a read outside it would wait for it forever.
      const [categories, placeIds] = await Promise.all([categoryRows(), gridIds()]);
      const category = categories.find((row) => row.code === draft.categoryCode);
      if (!category) throw new UnknownCategoryError(townCode, draft.categoryCode);
      const shop = draft.merchantCode ? await shopNamed(draft.merchantCode) : undefined;
      const now = clock();
      // The shop's standing goes into the staff alert as it is when the report comes in.
      const shopStanding = shop ? await shopStandingOf(prisma, townCode, shop.id, now) : null;
      return db.transaction(async (tx): Promise<SubmitResult> => {
        // The upsert also locks the user's row until commit, so one user's parallel submissions
        // are counted one after the other by the rate limit.
        const reporter = await upsertChatUser(tx, user, now);
        const limit = await rateLimit(tx, { reporterId: reporter.id });
        if (!limit.allowed) return { type: "rateLimited", retryAfterMinutes: limit.retryAfterMinutes };
        const codes = resolvePlace(grid.index, draft.place);
        // Two residents filing the same problem at the same moment queue here, so the
        // second sees the first's report (committed before the lock is released) and follows it.
        const spot = codes.roadCode ? `road:${codes.roadCode}` : `district:${codes.districtCode ?? "-"}`;
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`report:${townCode}:${category.code}:${spot}`]);
        // Only what was filed since the resident was shown the nearby reports: one they were never shown
        // (there were more than the question lists) is not chosen for them, whatever its age.
        const route = overrideRoute(category, placeIds) ?? defaultRoute(grid.index, codes);
        const duplicate = (
          await nearbyOpen(tx, category.code, draft.place, async () => placeIds, { filedSince: duplicates.checkedAt })
        ).find((report) => !declined.has(report.reference));
        // The resident's own report since the check is this submission made before: its commit went through
        // but the answer was lost (the database or the connection failed on the way back), and the draft was
        // confirmed again. It is their report, not someone else's to follow.
        if (duplicate?.reporterId === reporter.id) return { type: "created", reference: duplicate.reference, route };
        if (duplicate) {
          await addFollower(tx, duplicate.id, reporter.id, "RESIDENT");
          return { type: "followedExisting", reference: duplicate.reference };
        }
        // A blocked reporter gets the same answer as anyone; the case is kept but reaches no committee.
        const blocked = reporter.blockedAt !== null;
        const routed = blocked ? null : route;
        const reportId = randomUUID();
        const eventId = randomUUID();
        const alertsFor = blocked
          ? () => []
          : await staffAlertRows(tx, {
              townCode,
              reportId,
              eventId,
              grid: grid.index,
              categoryCode: category.code,
              codes,
              houseNumber: draft.place.houseNumber,
              content: {
                category: { zh: category.name, en: category.nameEn },
                clause: { ref: category.clauseRef, text: { zh: category.clauseText, en: category.clauseTextEn } },
                position:
                  draft.place.latitude !== undefined && draft.place.longitude !== undefined
                    ? { latitude: draft.place.latitude, longitude: draft.place.longitude }
                    : null,
                description: draft.description,
                shop: shop ? { zh: shop.name, en: shop.nameEn } : null,
                shopStanding,
                photoIds: draft.photoIds,
                supporters: 0,
                route,
              },
            });
        const road = codes.roadCode ? grid.index.road(codes.roadCode)?.name : undefined;
        const shopNoticesFor =
          blocked || !shop
            ? () => []
            : await merchantNoticeRows(tx, {
                id: reportId,
                eventId,
                createdAt: now,
                shop,
                category,
                road: road ? { name: road.zh, nameEn: road.en } : null,
                houseNumber: draft.place.houseNumber ?? null,
                description: draft.description,
              });
        // Every submission in the town waits for the counter row from here until commit, so the
        // reference is taken after every read, and one statement follows it.
        const reference = await nextReference(tx);
        // The report, its photos, its first timeline entry and its outbox rows (the reporter's
        // confirmation, the staff groups' alerts, the shop's notices) in one statement. Grid ids come
        // from the codes here, inside the transaction: codes from resolvePlace exist unless the town
        // was re-imported meanwhile, and then the missing ones are null.
        const outbox = outboxInsert(
          [
            ...residentUpdateRows({ reference, reporterId: reporter.id }, [reporter], eventId, "report.submitted", {
              status: "SUBMITTED",
              note: null,
              rejectReason: null,
              duplicateOf: null,
              route,
              reopened: false,
            }),
            ...alertsFor(reference),
            ...shopNoticesFor(reference),
          ],
          now,
        );
        const routedRoadCommittee = routed?.kind === "roadCommittee" ? routed.code : null;
        const routedDistrict = routed?.kind === "districtCommittee" ? routed.code : null;
        await tx.query(
          sql`WITH report AS (
             INSERT INTO "Report" ("id", "reference", "townCode", "categoryId", "reporterId", "contactAllowed", "description", "roadId", "houseNumber", "neighbourhoodId",
               "districtId", "latitude", "longitude", "merchantId", "routedRoadCommitteeId", "routedDistrictId", "routed", "createdAt", "updatedAt")
             VALUES (${reportId}, ${reference}, ${townCode}, ${category.id}, ${reporter.id}, ${draft.contactAllowed}, ${draft.description},
               (SELECT "id" FROM "Road" WHERE "townCode" = ${townCode} AND "code" = ${codes.roadCode ?? null}),
               ${draft.place.houseNumber ?? null},
               (SELECT n."id" FROM "Neighbourhood" n JOIN "District" d ON d."id" = n."districtId"
                WHERE d."townCode" = ${townCode} AND d."code" = ${codes.districtCode ?? null} AND n."code" = ${codes.neighbourhoodCode ?? null}),
               (SELECT "id" FROM "District" WHERE "townCode" = ${townCode} AND "code" = ${codes.districtCode ?? null}),
               ${draft.place.latitude ?? null}, ${draft.place.longitude ?? null}, ${shop?.id ?? null},
               (SELECT "id" FROM "RoadCommittee" WHERE "townCode" = ${townCode} AND "code" = ${routedRoadCommittee}),
               (SELECT "id" FROM "District" WHERE "townCode" = ${townCode} AND "code" = ${routedDistrict}),
               ${!blocked}, ${now}, ${now})
             RETURNING "id"
           ), photos AS (
             INSERT INTO "ReportPhoto" ("id", "reportId", "mediaId", "position")
             SELECT photo."id", report."id", photo."mediaId", (ROW_NUMBER() OVER (ORDER BY photo."position"))::int - 1
             FROM report, unnest(${draft.photoIds.map(() => randomUUID())}::text[], ${draft.photoIds}::text[]) WITH ORDINALITY AS photo("id", "mediaId", "position")
             -- An upload left unattached past its time is swept; the report goes in without it.
             WHERE EXISTS (SELECT 1 FROM "Media" m WHERE m."id" = photo."mediaId")
           ), outbox AS (${outbox})
           INSERT INTO "ReportEvent" ("id", "reportId", "type", "toStatus", "actorKind", "actorId", "createdAt")
           SELECT ${eventId}, report."id", 'SUBMITTED', 'SUBMITTED', 'RESIDENT', ${reporter.id}, ${now} FROM report`,
        );
        return { type: "created", reference, route };
      });
    },

    async myReports(user) {
      const me = await findUser(prisma, user);
      if (!me) return [];
      const rows = await prisma.report.findMany({
        where: { OR: [{ reporterId: me.id }, { followers: { some: { userId: me.id } } }] },
        include: reportInclude,
        orderBy: [{ updatedAt: "desc" }, { reference: "desc" }],
        take: 50,
      });
      return rows.map(
        (report): ReportSummary => ({
          reference: report.reference,
          category: { zh: report.category.name, en: report.category.nameEn },
          status: report.status,
          place: placeOf(report),
          relation: report.reporterId === me.id ? "reporter" : "follower",
          updatedAt: report.updatedAt,
        }),
      );
    },

    async viewForResident(reference, user) {
      const report = await prisma.report.findUnique({ where: { reference: normalizeReference(reference) }, include: reportInclude });
      if (!report) return undefined;
      const relation = await relationTo(report, user);
      if (relation === "none") {
        const view: PublicReportView = {
          relation,
          reference: report.reference,
          category: { zh: report.category.name, en: report.category.nameEn },
          status: report.status,
          road: report.road && { zh: report.road.name, en: report.road.nameEn },
        };
        return view;
      }
      const events = await prisma.reportEvent.findMany({ where: { reportId: report.id }, orderBy: { createdAt: "asc" } });
      const view: ReportView = {
        reference: report.reference,
        category: { zh: report.category.name, en: report.category.nameEn },
        status: report.status,
        place: placeOf(report),
        relation,
        updatedAt: report.updatedAt,
        description: maskPersonalNumbers(report.description),
        route: await shownRoute(report),
        supporters: report.followerCount,
        photoCount: report._count.photos,
        rejectReason: report.rejectReason,
        timeline: events.map((event) => ({
          at: event.createdAt,
          type: event.type,
          status: event.toStatus,
          note: event.note === null ? null : maskPersonalNumbers(event.note),
          by: actorOf(event.actorKind),
        })),
      };
      return view;
    },

    async caseForStaff(reference) {
      const report = await prisma.report.findUnique({
        where: { reference: normalizeReference(reference) },
        include: {
          ...reportInclude,
          merchant: true,
          reporter: true,
          photos: { orderBy: { position: "asc" } },
          events: { orderBy: { createdAt: "asc" } },
        },
      });
      if (!report || report.townCode !== townCode) return undefined;
      const view: StaffCaseView = {
        ...openCaseLine(report),
        area: caseAreaOf(report),
        clause: { ref: report.category.clauseRef, text: { zh: report.category.clauseText, en: report.category.clauseTextEn } },
        position: report.latitude !== null && report.longitude !== null ? { latitude: report.latitude, longitude: report.longitude } : null,
        description: report.description,
        shop: report.merchant ? { zh: report.merchant.name, en: report.merchant.nameEn } : null,
        shopStanding: await shopStandingOf(prisma, townCode, report.merchantId, clock()),
        photoIds: report.photos.map((photo) => photo.mediaId),
        route: await shownRoute(report),
        rejectReason: report.rejectReason,
        reporterContact: report.contactAllowed
          ? { channel: report.reporter.channel, userId: report.reporter.channelUserId, displayName: report.reporter.displayName }
          : null,
        timeline: report.events.map((event) => ({
          at: event.createdAt,
          type: event.type,
          status: event.toStatus,
          note: event.note,
          by: actorOf(event.actorKind),
          // Staff roles and shop names; a resident's identity is never a label.
          actorLabel: event.actorKind === "STAFF" || event.actorKind === "MERCHANT" ? event.actorLabel : null,
        })),
      };
      return view;
    },

    async openCases(area, limit) {
      const where: Prisma.ReportWhereInput = {
        townCode,
        routed: true,
        status: { in: OPEN_STATUSES },
        ...(area === "town"
          ? {}
          : {
              OR: [
                { district: { code: { in: area.districtCodes } } },
                { routedDistrict: { code: { in: area.districtCodes } } },
                { routedRoadCommittee: { code: { in: area.roadCommitteeCodes } } },
              ],
            }),
      };
      const [rows, total] = await Promise.all([
        prisma.report.findMany({ where, include: reportInclude, orderBy: [{ createdAt: "asc" }, { reference: "asc" }], take: limit }),
        prisma.report.count({ where }),
      ]);
      return { cases: rows.map(openCaseLine), total };
    },

    async recordFeedback(reference, user, input): Promise<FeedbackResult> {
      const parsed = feedbackSchema.safeParse(input);
      if (!parsed.success) return { type: "notAllowed" };
      const feedback = parsed.data;
      return prisma.$transaction(async (tx): Promise<FeedbackResult> => {
        const report = await tx.report.findUnique({ where: { reference: normalizeReference(reference) } });
        const me = await findUser(tx, user);
        if (!report || !me || report.reporterId !== me.id || report.status !== "RESOLVED") return { type: "notAllowed" };
        const now = clock();
        if ("rating" in feedback) {
          await tx.report.update({ where: { id: report.id }, data: { rating: feedback.rating } });
          await tx.reportEvent.create({
            data: {
              reportId: report.id,
              type: "RATED",
              note: String(feedback.rating),
              actorKind: "RESIDENT",
              actorId: me.id,
              createdAt: now,
            },
          });
          return { type: "recorded", reference: report.reference };
        }
        if (feedback.fixed) {
          await tx.reportEvent.create({
            data: { reportId: report.id, type: "CONFIRMED_FIXED", actorKind: "RESIDENT", actorId: me.id, createdAt: now },
          });
          return { type: "recorded", reference: report.reference };
        }
        if (!report.resolvedAt || now.getTime() - report.resolvedAt.getTime() > options.reopenWindowDays * DAY)
          return { type: "tooLateToReopen", reference: report.reference };
        const moved = await tx.report.updateMany({
          where: { id: report.id, status: "RESOLVED" },
          data: { status: "IN_PROGRESS", resolvedAt: null, updatedAt: now },
        });
        if (moved.count === 0) return { type: "notAllowed" };
        const event = await tx.reportEvent.create({
          data: {
            reportId: report.id,
            type: "REOPENED",
            fromStatus: "RESOLVED",
            toStatus: "IN_PROGRESS",
            actorKind: "RESIDENT",
            actorId: me.id,
            createdAt: now,
          },
        });
        await notifyResidents(
          tx,
          report.id,
          event.id,
          "report.status",
          { status: "IN_PROGRESS", note: null, rejectReason: null, duplicateOf: null, route: null, reopened: true },
          me.id,
        );
        return { type: "reopened", reference: report.reference };
      }, TRANSACTION_OPTIONS);
    },

    acknowledge: (reference, actor) => transition(reference, actor, "ACKNOWLEDGED", {}),

    startProgress: (reference, actor, note) =>
      transition(reference, actor, "IN_PROGRESS", { note: (note && storedText(note)) || undefined }),

    async resolve(reference, actor, written, photoId) {
      const note = storedText(written);
      if (note === "") return { type: "noteRequired" };
      return transition(reference, actor, "RESOLVED", { note, photoId });
    },

    async reject(reference, actor, reason, written, duplicateOfReference) {
      const note = storedText(written);
      if (note === "") return { type: "noteRequired" };
      if (reason === "DUPLICATE" && !duplicateOfReference) return { type: "unknownTarget" };
      return transition(reference, actor, "REJECTED", {
        note,
        rejectReason: reason,
        duplicateOfReference: reason === "DUPLICATE" ? duplicateOfReference : undefined,
      });
    },

    async reroute(reference, actor, target, written) {
      const route = committeeRoute(grid.index, target);
      if (!route) return { type: "unknownTarget" };
      const note = storedText(written);
      if (note === "") return { type: "noteRequired" };
      return prisma.$transaction(async (tx): Promise<StaffActionResult> => {
        const report = await tx.report.findUnique({ where: { reference: normalizeReference(reference) } });
        if (!report) return { type: "notFound" };
        if (!OPEN_STATUSES.includes(report.status)) return { type: "badTransition", from: report.status, to: report.status };
        const ids = await routeIds(tx, route);
        if (!ids) return { type: "unknownTarget" };
        const now = clock();
        // Conditional on the status read, like a status change: a case closed meanwhile is not re-routed.
        const moved = await tx.report.updateMany({
          where: { id: report.id, status: report.status },
          data: { ...ids, routed: true, updatedAt: now },
        });
        if (moved.count === 0) return { type: "conflict" };
        const event = await tx.reportEvent.create({
          data: {
            reportId: report.id,
            type: "REROUTED",
            note,
            actorKind: "STAFF",
            actorId: actor.staffId,
            actorLabel: actor.label,
            createdAt: now,
          },
        });
        await notifyResidents(tx, report.id, event.id, "report.rerouted", {
          status: report.status,
          note: maskPersonalNumbers(note),
          rejectReason: null,
          duplicateOf: null,
          route,
          reopened: false,
        });
        return { type: "ok", reference: report.reference, status: report.status };
      }, TRANSACTION_OPTIONS);
    },

    async blockUser(target, actor, reason) {
      const user =
        "reference" in target
          ? (await prisma.report.findUnique({ where: { reference: normalizeReference(target.reference) }, select: { reporter: true } }))
              ?.reporter
          : await findUser(prisma, target);
      if (!user) return { type: "notFound" };
      // Who blocked is kept with the reason, so another member of staff can ask them why.
      await prisma.chatUser.update({
        where: { id: user.id },
        data: { blockedAt: clock(), blockedReason: `${reason.trim()} (${actor.label}, ${actor.staffId})` },
      });
      return { type: "ok" };
    },
  };
}

/** The route to a committee staff named by code; null when the grid has no such committee. */
function committeeRoute(index: GridIndex, target: { roadCommitteeCode: string } | { districtCode: string }): ReportRoute | null {
  if ("roadCommitteeCode" in target) {
    const committee = index.snapshot.roadCommittees.find((c) => c.code === target.roadCommitteeCode);
    return committee ? { kind: "roadCommittee", code: committee.code, name: committee.name } : null;
  }
  const district = index.district(target.districtCode);
  return district ? { kind: "districtCommittee", code: district.code, name: district.committee.name } : null;
}

/** How a report's place reads: road and house number, else the neighbourhood, else the district. */
function placeLabel(
  houseNumber: number | null,
  road: Bilingual | null | undefined,
  neighbourhood: Bilingual | null | undefined,
  district: Bilingual | null | undefined,
): Bilingual {
  if (road) return houseNumber ? { zh: `${road.zh}${houseNumber}号`, en: `No. ${houseNumber}, ${road.en}` } : { ...road };
  const named = neighbourhood ?? district;
  return named ? { ...named } : { zh: "未指定地点", en: "no place given" };
}

function toCategoryInfo(row: {
  code: string;
  name: string;
  nameEn: string;
  clauseRef: string;
  clauseText: string;
  clauseTextEn: string;
  examples: string[];
}): ReportCategoryInfo {
  return {
    code: row.code,
    name: { zh: row.name, en: row.nameEn },
    clause: { ref: row.clauseRef, text: { zh: row.clauseText, en: row.clauseTextEn } },
    examples: row.examples,
  };
}

/** Who acted on a timeline entry, as shown to residents and staff (never which resident). */
function actorOf(kind: ActorKind): "resident" | "staff" | "merchant" | "system" {
  return kind === "STAFF" ? "staff" : kind === "RESIDENT" ? "resident" : kind === "MERCHANT" ? "merchant" : "system";
}
