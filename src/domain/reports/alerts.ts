import { sql, type Sql, type Statement } from "../../db/sql.ts";
import type {
  AlertDestination,
  District,
  Merchant,
  Neighbourhood,
  Report,
  ReportCategory,
  ReportPhoto,
  Road,
  RoadCommittee,
} from "../../generated/prisma/client.ts";
import { compactStandingOf, type CompactStanding } from "../compact/standing.ts";
import type { Bilingual, GridIndex } from "../grid/index.ts";
import type { OutboxRow } from "../outbox/queue.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import { caseAreaOf, storedRouteOf, type PlaceCodes } from "./place.ts";
import type { ReportRoute } from "./service.ts";

/** What a staff group is told about a new report; rendered per channel by the notifier. */
export interface StaffAlertPayload {
  reference: string;
  category: Bilingual;
  clause: { ref: string; text: Bilingual };
  place: Bilingual;
  /** Present only when the resident consented to share an exact position. */
  position: { latitude: number; longitude: number } | null;
  /** Masked: the group is wider than the staff handling the case. */
  description: string;
  shop: Bilingual | null;
  /**
   * Where the shop stands with the compact in force, so staff know a shop that
   * never signed (or not the new version); absent in alerts queued before it existed.
   */
  shopStanding?: CompactStanding | null;
  /** Media ids of the report's photos, in the order the resident sent them. */
  photoIds: string[];
  /** Residents following the report besides its reporter. */
  supporters: number;
  route: ReportRoute | null;
  locale: "zh" | "en";
}

/**
 * Where a report belongs as alert destinations see it: the districts of its
 * place and of its route, the road committee handling it, and its category.
 */
export interface AlertScope {
  districtCodes: readonly string[];
  roadCommitteeCode: string | null;
  categoryCode: string;
}

/** The subscriptions of an alert destination, as stored. */
type Subscriptions = Pick<AlertDestination, "districtCodes" | "roadCommitteeCodes" | "categoryCodes">;

/**
 * True when a destination subscribes to a report's scope: one of its districts
 * or its road committee (no districts and no road committees: the whole town),
 * and its category (no categories: every category).
 */
export function destinationCovers(destination: Subscriptions, scope: AlertScope): boolean {
  const wholeTown = destination.districtCodes.length === 0 && destination.roadCommitteeCodes.length === 0;
  const byArea =
    wholeTown ||
    destination.districtCodes.some((code) => scope.districtCodes.includes(code)) ||
    (scope.roadCommitteeCode !== null && destination.roadCommitteeCodes.includes(scope.roadCommitteeCode));
  const byCategory = destination.categoryCodes.length === 0 || destination.categoryCodes.includes(scope.categoryCode);
  return byArea && byCategory;
}

/**
 * The destinations of a town that hear about a report of `scope`:
 * `"handling"` the staff groups that get new alerts and reminders,
 * `"escalation"` the director's groups that get only escalations.
 */
export async function destinationsFor(
  db: Sql,
  townCode: string,
  scope: AlertScope,
  audience: "handling" | "escalation",
): Promise<AlertDestination[]> {
  // Prisma leaves a list it was not given as NULL in the column and reads that as empty; so does this.
  const destinations = await db.query<AlertDestination>(
    sql`SELECT "id", "townCode", "code", "name", "channel", "address", "locale", "escalation", "managedInChat",
       COALESCE("districtCodes", '{}') AS "districtCodes", COALESCE("roadCommitteeCodes", '{}') AS "roadCommitteeCodes", COALESCE("categoryCodes", '{}') AS "categoryCodes"
     FROM "AlertDestination" WHERE "townCode" = ${townCode} AND "escalation" = ${audience === "escalation"} ORDER BY "code"`,
  );
  return destinations.filter((destination) => destinationCovers(destination, scope));
}

/**
 * The alerts for every staff group subscribed to where the report goes (its
 * road committee, or the district it lies in or is routed to) and to its
 * category, for the caller to queue with the report's other outbox rows in
 * one statement. The groups are read now, in the caller's transaction; the
 * rows are built by the function returned, once the report's reference is
 * known, so a caller can take the reference (whose counter row stays locked
 * until commit) after every read. Director's groups are left out: they hear
 * of a case only when it is escalated. Never names the reporter.
 */
export async function staffAlertRows(
  tx: Sql,
  args: {
    townCode: string;
    reportId: string;
    eventId: string;
    grid: GridIndex;
    categoryCode: string;
    content: Omit<StaffAlertPayload, "locale" | "place" | "description" | "reference"> & { description: string };
    codes: PlaceCodes;
    houseNumber: number | undefined;
  },
): Promise<(reference: string) => OutboxRow[]> {
  const { codes, grid } = args;
  const route = args.content.route;
  const scope: AlertScope = {
    districtCodes: [codes.districtCode, route?.kind === "districtCommittee" ? route.code : null].filter((c): c is string => c !== null),
    roadCommitteeCode: route?.kind === "roadCommittee" ? route.code : null,
    categoryCode: args.categoryCode,
  };
  const place = placeLabel({
    road: codes.roadCode ? grid.road(codes.roadCode)?.name : undefined,
    houseNumber: args.houseNumber ?? null,
    neighbourhood: codes.neighbourhoodCode ? grid.neighbourhood(codes.neighbourhoodCode)?.name : undefined,
    district: codes.districtCode ? grid.district(codes.districtCode)?.name : undefined,
  });
  const destinations = await destinationsFor(tx, args.townCode, scope, "handling");
  const description = maskPersonalNumbers(args.content.description);
  return (reference) =>
    destinations.map((destination) => {
      const payload: StaffAlertPayload = { ...args.content, reference, place, description, locale: localeOf(destination) };
      return {
        dedupeKey: `${args.eventId}:alert:${destination.id}`,
        kind: "alert.new",
        reportId: args.reportId,
        channel: destination.channel,
        chatId: destination.address,
        payload,
      };
    });
}

/** A stored report with the rows its staff alert names, enough to rebuild the alert ({@link staffAlertOf}). */
export type StaffAlertReport = Report & {
  category: ReportCategory;
  road: Road | null;
  neighbourhood: Neighbourhood | null;
  district: District | null;
  merchant: Merchant | null;
  routedRoadCommittee: RoadCommittee | null;
  routedDistrict: District | null;
  photos: Pick<ReportPhoto, "mediaId">[];
};

/**
 * A stored report loaded whole with what its staff alert shows (see
 * {@link StaffAlertReport}). The related rows have no timestamps, so reading
 * them as JSON keeps every column's type.
 */
export const staffAlertReport = (id: string): Statement => sql`
  SELECT r.*, to_jsonb(c) AS "category",
    CASE WHEN rd."id" IS NULL THEN NULL ELSE to_jsonb(rd) END AS "road",
    CASE WHEN n."id" IS NULL THEN NULL ELSE to_jsonb(n) END AS "neighbourhood",
    CASE WHEN d."id" IS NULL THEN NULL ELSE to_jsonb(d) END AS "district",
    CASE WHEN m."id" IS NULL THEN NULL ELSE to_jsonb(m) END AS "merchant",
    CASE WHEN rc."id" IS NULL THEN NULL ELSE to_jsonb(rc) END AS "routedRoadCommittee",
    CASE WHEN rdd."id" IS NULL THEN NULL ELSE to_jsonb(rdd) END AS "routedDistrict",
    COALESCE((SELECT jsonb_agg(jsonb_build_object('mediaId', p."mediaId") ORDER BY p."position") FROM "ReportPhoto" p WHERE p."reportId" = r."id"),
      '[]'::jsonb) AS "photos"
  FROM "Report" r JOIN "ReportCategory" c ON c."id" = r."categoryId"
    LEFT JOIN "Road" rd ON rd."id" = r."roadId"
    LEFT JOIN "Neighbourhood" n ON n."id" = r."neighbourhoodId"
    LEFT JOIN "District" d ON d."id" = r."districtId"
    LEFT JOIN "Merchant" m ON m."id" = r."merchantId"
    LEFT JOIN "RoadCommittee" rc ON rc."id" = r."routedRoadCommitteeId"
    LEFT JOIN "District" rdd ON rdd."id" = r."routedDistrictId"
  WHERE r."id" = ${id}`;

/** The scope of a stored report: the districts of its place and route, its road committee, its category. */
export function alertScopeOf(report: StaffAlertReport): AlertScope {
  return { ...caseAreaOf(report), categoryCode: report.category.code };
}

/**
 * A stored report's staff alert as it stands now (supporters counted today),
 * in one destination's language. Later messages about a case (escalation,
 * reminders) are built from the database, so they exist even for a group that
 * never got the new-report alert. `shopStanding` is the shop's standing with
 * the compact (see compactStandingOf), when the caller looked it up.
 */
export function staffAlertOf(report: StaffAlertReport, locale: "zh" | "en", shopStanding?: CompactStanding | null): StaffAlertPayload {
  const route = storedRouteOf(report);
  const bilingual = (row: { name: string; nameEn: string } | null) => (row ? { zh: row.name, en: row.nameEn } : undefined);
  return {
    reference: report.reference,
    category: { zh: report.category.name, en: report.category.nameEn },
    clause: { ref: report.category.clauseRef, text: { zh: report.category.clauseText, en: report.category.clauseTextEn } },
    place: placeLabel({
      road: bilingual(report.road),
      houseNumber: report.houseNumber,
      neighbourhood: bilingual(report.neighbourhood),
      district: bilingual(report.district),
    }),
    position: report.latitude !== null && report.longitude !== null ? { latitude: report.latitude, longitude: report.longitude } : null,
    description: maskPersonalNumbers(report.description),
    shop: bilingual(report.merchant) ?? null,
    ...(report.merchant && shopStanding ? { shopStanding } : {}),
    photoIds: report.photos.map((photo) => photo.mediaId),
    supporters: report.followerCount,
    route,
    locale,
  };
}

/**
 * The standing of the shop a report names, for its alerts and the staff case
 * view, in one statement; null when the report names no shop.
 */
export async function shopStandingOf(db: Sql, townCode: string, merchantId: string | null, now: Date): Promise<CompactStanding | null> {
  if (!merchantId) return null;
  return (await compactStandingOf(db, townCode, [merchantId], now)).get(merchantId) ?? null;
}

/** A destination's language; anything but English reads Chinese. */
export function localeOf(destination: Pick<AlertDestination, "locale">): "zh" | "en" {
  return destination.locale === "en" ? "en" : "zh";
}

/** "XX路12号（第二片区）" / "No. 12, XX Road (District 2)": the place as staff groups read it. */
function placeLabel(place: {
  road: Bilingual | undefined;
  houseNumber: number | null;
  neighbourhood: Bilingual | undefined;
  district: Bilingual | undefined;
}): Bilingual {
  const { road, houseNumber, neighbourhood, district } = place;
  const suffix = (locale: "zh" | "en") => (district ? (locale === "zh" ? `（${district.zh}）` : ` (${district.en})`) : "");
  if (road) {
    return {
      zh: `${road.zh}${houseNumber !== null ? `${houseNumber}号` : ""}${suffix("zh")}`,
      en: `${houseNumber !== null ? `No. ${houseNumber}, ` : ""}${road.en}${suffix("en")}`,
    };
  }
  if (neighbourhood) return { zh: `${neighbourhood.zh}${suffix("zh")}`, en: `${neighbourhood.en}${suffix("en")}` };
  if (district) return district;
  return { zh: "未指定地点", en: "no place given" };
}
