import type {
  ActorKind,
  ChatUser,
  District,
  Merchant,
  Neighbourhood,
  Report,
  ReportCategory,
  ReportEvent,
  Road,
  RoadCommittee,
} from "../../generated/prisma/client.ts";
import { empty, join, sql, type Sql, type Statement } from "../../db/sql.ts";
import type { Bilingual } from "../grid/index.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import { shopStandingOf } from "./alerts.ts";
import { OPEN_STATUSES, type ReportsContext } from "./context.ts";
import { caseAreaOf, inStaffArea, storedRouteOf } from "./place.ts";
import type { CasePin, OpenCaseLine, StaffCaseView, StaffReportActions } from "./reports.ts";
import type { ChatIdentity, PublicReportView, ReportRoute, ReportsService, ReportSummary, ReportView } from "./service.ts";

/** A report as every view reads it: its own columns, and the names of its category, place and committee. */
type LoadedReport = Pick<
  Report,
  | "id"
  | "reference"
  | "townCode"
  | "status"
  | "reporterId"
  | "contactAllowed"
  | "description"
  | "houseNumber"
  | "latitude"
  | "longitude"
  | "merchantId"
  | "routed"
  | "rejectReason"
  | "followerCount"
  | "createdAt"
  | "updatedAt"
> & {
  category: Pick<ReportCategory, "code" | "name" | "nameEn" | "clauseRef" | "clauseText" | "clauseTextEn">;
  road: Pick<Road, "code" | "name" | "nameEn"> | null;
  neighbourhood: Pick<Neighbourhood, "code" | "name" | "nameEn"> | null;
  district: Pick<District, "code" | "name" | "nameEn"> | null;
  routedRoadCommittee: Pick<RoadCommittee, "code" | "name" | "nameEn"> | null;
  routedDistrict: Pick<District, "code" | "committeeName" | "committeeNameEn"> | null;
  photoCount: number;
};

/** The statement that reads {@link LoadedReport}s `where` a condition on `r` (the report) and its joins, in `order`. */
const loadedReports = (where: Statement, order: Statement = empty) =>
  sql`SELECT r."id", r."reference", r."townCode", r."status", r."reporterId", r."contactAllowed", r."description", r."houseNumber",
        r."latitude", r."longitude", r."merchantId", r."routed", r."rejectReason", r."followerCount", r."createdAt", r."updatedAt",
        json_build_object('code', c."code", 'name', c."name", 'nameEn', c."nameEn", 'clauseRef', c."clauseRef", 'clauseText', c."clauseText", 'clauseTextEn', c."clauseTextEn") AS "category",
        CASE WHEN road."id" IS NULL THEN NULL ELSE json_build_object('code', road."code", 'name', road."name", 'nameEn', road."nameEn") END AS "road",
        CASE WHEN n."id" IS NULL THEN NULL ELSE json_build_object('code', n."code", 'name', n."name", 'nameEn', n."nameEn") END AS "neighbourhood",
        CASE WHEN d."id" IS NULL THEN NULL ELSE json_build_object('code', d."code", 'name', d."name", 'nameEn', d."nameEn") END AS "district",
        CASE WHEN rc."id" IS NULL THEN NULL ELSE json_build_object('code', rc."code", 'name', rc."name", 'nameEn', rc."nameEn") END AS "routedRoadCommittee",
        CASE WHEN rd."id" IS NULL THEN NULL ELSE json_build_object('code', rd."code", 'committeeName', rd."committeeName", 'committeeNameEn', rd."committeeNameEn") END AS "routedDistrict",
        (SELECT COUNT(*)::int FROM "ReportPhoto" p WHERE p."reportId" = r."id") AS "photoCount"
      FROM "Report" r
      JOIN "ReportCategory" c ON c."id" = r."categoryId"
      LEFT JOIN "Road" road ON road."id" = r."roadId"
      LEFT JOIN "Neighbourhood" n ON n."id" = r."neighbourhoodId"
      LEFT JOIN "District" d ON d."id" = r."districtId"
      LEFT JOIN "RoadCommittee" rc ON rc."id" = r."routedRoadCommitteeId"
      LEFT JOIN "District" rd ON rd."id" = r."routedDistrictId"
      WHERE ${where} ${order}`;

/** A report's timeline, oldest first. */
const timelineOf = (db: Sql, reportId: string) =>
  db.query<
    Pick<ReportEvent, "createdAt" | "type" | "toStatus" | "note" | "photoId" | "actorKind" | "actorLabel"> & {
      fromRoute: ReportRoute | null;
      toRoute: ReportRoute | null;
    }
  >(
    sql`SELECT "createdAt", "type", "toStatus", "note", "photoId", "actorKind", "actorLabel", "fromRoute", "toRoute"
        FROM "ReportEvent" WHERE "reportId" = ${reportId} ORDER BY "createdAt"`,
  );

/**
 * How reports are shown: a resident's list and case, the staff's case and
 * their list of open cases.
 */
export function viewsOf(ctx: ReportsContext) {
  const { db, townCode, clock, routeFor, findUser, normalizeReference } = ctx;

  const reportNamed = async (reference: string): Promise<LoadedReport | undefined> =>
    (await db.query<LoadedReport>(loadedReports(sql`r."reference" = ${normalizeReference(reference)}`)))[0];

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
    const [me] = await db.query<{ reporter: boolean; follower: boolean; staff: boolean }>(
      sql`SELECT u."id" = ${report.reporterId} AS "reporter",
            EXISTS (SELECT 1 FROM "ReportFollower" f WHERE f."reportId" = ${report.id} AND f."userId" = u."id") AS "follower",
            EXISTS (SELECT 1 FROM "StaffMember" s WHERE s."townCode" = ${townCode} AND s."chatUserId" = u."id" AND s."revokedAt" IS NULL) AS "staff"
          FROM "ChatUser" u WHERE u."channel" = ${user.channel} AND u."channelUserId" = ${user.userId}`,
    );
    if (!me) return "none";
    return me.reporter ? "reporter" : me.follower ? "follower" : me.staff ? "staff" : "none";
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

  const service: Pick<ReportsService, "myReports" | "viewForResident"> &
    Pick<StaffReportActions, "caseForStaff" | "openCases" | "mapCases"> = {
    async myReports(user) {
      const me = await findUser(db, user);
      if (!me) return [];
      const rows = await db.query<LoadedReport>(
        loadedReports(
          sql`(r."reporterId" = ${me.id} OR EXISTS (SELECT 1 FROM "ReportFollower" f WHERE f."reportId" = r."id" AND f."userId" = ${me.id}))`,
          sql`ORDER BY r."updatedAt" DESC, r."reference" DESC LIMIT 50`,
        ),
      );
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
      const report = await reportNamed(reference);
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
      const events = await timelineOf(db, report.id);
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
        photoCount: report.photoCount,
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
      const report = await reportNamed(reference);
      if (!report || report.townCode !== townCode) return undefined;
      const [[details], events] = await Promise.all([
        db.query<
          Pick<ChatUser, "channel" | "channelUserId" | "displayName"> & {
            shop: Pick<Merchant, "name" | "nameEn"> | null;
            photoIds: string[];
          }
        >(
          sql`SELECT u."channel", u."channelUserId", u."displayName",
                CASE WHEN m."id" IS NULL THEN NULL ELSE json_build_object('name', m."name", 'nameEn', m."nameEn") END AS "shop",
                ARRAY(SELECT p."mediaId" FROM "ReportPhoto" p WHERE p."reportId" = r."id" ORDER BY p."position") AS "photoIds"
              FROM "Report" r JOIN "ChatUser" u ON u."id" = r."reporterId" LEFT JOIN "Merchant" m ON m."id" = r."merchantId"
              WHERE r."id" = ${report.id}`,
        ),
        timelineOf(db, report.id),
      ]);
      const { shop, photoIds, ...reporter } = details!;
      const view: StaffCaseView = {
        ...openCaseLine(report),
        area: caseAreaOf(report),
        clause: { ref: report.category.clauseRef, text: { zh: report.category.clauseText, en: report.category.clauseTextEn } },
        position: report.latitude !== null && report.longitude !== null ? { latitude: report.latitude, longitude: report.longitude } : null,
        description: report.description,
        shop: shop ? { zh: shop.name, en: shop.nameEn } : null,
        shopStanding: await shopStandingOf(db, townCode, report.merchantId, clock()),
        photoIds,
        route: await shownRoute(report),
        rejectReason: report.rejectReason,
        reporterContact: report.contactAllowed
          ? { channel: reporter.channel, userId: reporter.channelUserId, displayName: reporter.displayName }
          : null,
        timeline: events.map((event) => ({
          at: event.createdAt,
          type: event.type,
          status: event.toStatus,
          note: event.note,
          by: actorOf(event.actorKind),
          // Staff roles and shop names; a resident's identity is never a label.
          actorLabel: event.actorKind === "STAFF" || event.actorKind === "MERCHANT" ? event.actorLabel : null,
          reroute: event.type === "REROUTED" && event.toRoute ? { from: event.fromRoute, to: event.toRoute } : null,
          photoId: event.photoId,
        })),
      };
      return view;
    },

    async openCases(area, limit) {
      const where = join(
        [sql`r."townCode" = ${townCode} AND r."routed" AND r."status" IN (${join(OPEN_STATUSES)})`, inStaffArea(area, townCode)],
        " AND ",
      );
      const [rows, [counted]] = await Promise.all([
        db.query<LoadedReport>(loadedReports(where, sql`ORDER BY r."createdAt", r."reference" LIMIT ${limit}`)),
        db.query<{ total: number }>(
          sql`SELECT COUNT(*)::int AS "total" FROM "Report" r
              LEFT JOIN "District" d ON d."id" = r."districtId"
              LEFT JOIN "RoadCommittee" rc ON rc."id" = r."routedRoadCommitteeId"
              LEFT JOIN "District" rd ON rd."id" = r."routedDistrictId"
              WHERE ${where}`,
        ),
      ]);
      const total = counted!.total;
      return { cases: rows.map(openCaseLine), total };
    },

    async mapCases(area, options) {
      const rows = await db.query<
        Pick<Report, "reference" | "status" | "latitude" | "longitude"> &
          Pick<ReportCategory, "name" | "nameEn"> & { districtCode: string | null }
      >(
        sql`SELECT r."reference", r."status", r."latitude", r."longitude", c."name", c."nameEn", COALESCE(d."code", rd."code") AS "districtCode"
            FROM "Report" r
            JOIN "ReportCategory" c ON c."id" = r."categoryId"
            LEFT JOIN "District" d ON d."id" = r."districtId"
            LEFT JOIN "District" rd ON rd."id" = r."routedDistrictId"
            WHERE r."townCode" = ${townCode} AND r."routed" AND ${inStaffArea(area, townCode)}
              AND (r."status" IN (${join(OPEN_STATUSES)}) OR r."updatedAt" >= ${options.closedSince})
            ORDER BY r."createdAt" DESC, r."reference" DESC
            LIMIT ${options.limit}`,
      );
      return rows.map(
        (row): CasePin => ({
          reference: row.reference,
          category: { zh: row.name, en: row.nameEn },
          status: row.status,
          districtCode: row.districtCode,
          position: row.latitude !== null && row.longitude !== null ? { latitude: row.latitude, longitude: row.longitude } : null,
        }),
      );
    },
  };

  return service;
}

/** How a report's place reads: road and house number, else the neighbourhood, else the district. */
export function placeLabel(
  houseNumber: number | null,
  road: Bilingual | null | undefined,
  neighbourhood: Bilingual | null | undefined,
  district: Bilingual | null | undefined,
): Bilingual {
  if (road) return houseNumber ? { zh: `${road.zh}${houseNumber}号`, en: `No. ${houseNumber}, ${road.en}` } : { ...road };
  const named = neighbourhood ?? district;
  return named ? { ...named } : { zh: "未指定地点", en: "no place given" };
}

/** Who acted on a timeline entry, as shown to residents and staff (never which resident). */
function actorOf(kind: ActorKind): "resident" | "staff" | "merchant" | "system" {
  return kind === "STAFF" ? "staff" : kind === "RESIDENT" ? "resident" : kind === "MERCHANT" ? "merchant" : "system";
}
