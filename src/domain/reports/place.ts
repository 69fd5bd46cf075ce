import { sql, type Statement } from "../../db/sql.ts";
import type { GridIndex } from "../grid/index.ts";
import type { StaffArea } from "./reports.ts";
import type { ReportPlace, ReportRoute } from "./service.ts";

/**
 * A report's place reduced to grid codes that exist in the current index: what
 * the resident gave, completed from the grid (a road and house number give the
 * district and neighbourhood of that stretch, a location gives the district
 * whose boundary holds it). Codes the grid does not know are dropped, so a
 * stale session cannot point a report at a place that no longer exists.
 */
export interface PlaceCodes {
  roadCode: string | null;
  neighbourhoodCode: string | null;
  districtCode: string | null;
}

/** Completes and checks a place against the grid; see {@link PlaceCodes}. */
export function resolvePlace(index: GridIndex, place: ReportPlace): PlaceCodes {
  const road = place.roadCode ? index.snapshot.roads.find((r) => r.code === place.roadCode) : undefined;
  const stretch = road && place.houseNumber !== undefined ? index.houseOnRoad(road.code, place.houseNumber) : undefined;
  // A road without a number still lies in one district when all its stretches do.
  const roadDistricts = road ? [...new Set(road.segments.map((s) => s.districtCode))] : [];
  const wholeRoadDistrict = roadDistricts.length === 1 ? roadDistricts[0] : undefined;
  const neighbourhood = index.snapshot.neighbourhoods.find((n) => n.code === (stretch?.neighbourhood?.code ?? place.neighbourhoodCode));
  const located = place.latitude !== undefined && place.longitude !== undefined ? index.locate(place.latitude, place.longitude) : undefined;
  const districtCode =
    stretch?.district.code ??
    neighbourhood?.districtCode ??
    (place.districtCode && index.district(place.districtCode) ? place.districtCode : undefined) ??
    wholeRoadDistrict ??
    (located?.type === "found" ? located.answer.district.code : undefined);
  return { roadCode: road?.code ?? null, neighbourhoodCode: neighbourhood?.code ?? null, districtCode: districtCode ?? null };
}

/**
 * The usual route of a place, without category overrides: a road goes to its
 * road committee (they govern street order), anything else to the committee of
 * the district it lies in; null when the place is in no district.
 */
export function defaultRoute(index: GridIndex, codes: PlaceCodes): ReportRoute | null {
  const road = codes.roadCode ? index.snapshot.roads.find((r) => r.code === codes.roadCode) : undefined;
  const roadCommittee = road && index.snapshot.roadCommittees.find((c) => c.code === road.roadCommitteeCode);
  if (roadCommittee) return { kind: "roadCommittee", code: roadCommittee.code, name: roadCommittee.name };
  const district = codes.districtCode ? index.district(codes.districtCode) : undefined;
  if (district) return { kind: "districtCommittee", code: district.code, name: district.committee.name };
  return null;
}

/** Great-circle distance in metres (haversine); far more precise than a town-sized duplicate radius needs. */
export function distanceMeters(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(lat2 - lat1);
  const dLon = radians(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(radians(lat1)) * Math.cos(radians(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(a));
}

/** The committees a stored report is routed to, as loaded with its routedRoadCommittee and routedDistrict. */
export interface RoutedReport {
  routedRoadCommittee: { code: string; name: string; nameEn: string } | null;
  routedDistrict: { code: string; committeeName: string; committeeNameEn: string } | null;
  district: { code: string } | null;
}

/** Where a stored report is handled: its road committee, else its district committee. */
export function storedRouteOf(report: RoutedReport): ReportRoute | null {
  if (report.routedRoadCommittee) {
    return {
      kind: "roadCommittee",
      code: report.routedRoadCommittee.code,
      name: { zh: report.routedRoadCommittee.name, en: report.routedRoadCommittee.nameEn },
    };
  }
  if (report.routedDistrict) {
    return {
      kind: "districtCommittee",
      code: report.routedDistrict.code,
      name: { zh: report.routedDistrict.committeeName, en: report.routedDistrict.committeeNameEn },
    };
  }
  return null;
}

/** Whose case a stored report is: the districts of its place and of its route, and its road committee. */
export function caseAreaOf(report: RoutedReport): { districtCodes: string[]; roadCommitteeCode: string | null } {
  return {
    districtCodes: [...new Set([report.district?.code, report.routedDistrict?.code].filter((code): code is string => code !== undefined))],
    roadCommitteeCode: report.routedRoadCommittee?.code ?? null,
  };
}

/** Reports (`r`) whose `column` is the id of one of the town's districts with these codes. */
export const inDistricts = (column: Statement, townCode: string, codes: readonly string[]): Statement =>
  sql`${column} IN (SELECT "id" FROM "District" WHERE "townCode" = ${townCode} AND "code" = ANY(${codes}::text[]))`;

/** Reports (`r`) routed to one of the town's road committees with these codes. */
export const inRoadCommittees = (townCode: string, codes: readonly string[]): Statement =>
  sql`r."routedRoadCommitteeId" IN (SELECT "id" FROM "RoadCommittee" WHERE "townCode" = ${townCode} AND "code" = ANY(${codes}::text[]))`;

/**
 * The reports (`r`) in a staff area of the town: the database form of
 * {@link caseAreaOf} checked by coversCase (the district of the place or of
 * the route, or the routed road committee), so a list holds exactly the cases
 * the member may open. It reads only the report's own columns, so a list
 * filters and counts without joining the grid's tables.
 */
export function inStaffArea(area: StaffArea, townCode: string): Statement {
  if (area === "town") return sql`TRUE`;
  return sql`(${inDistricts(sql`r."districtId"`, townCode, area.districtCodes)} OR ${inDistricts(sql`r."routedDistrictId"`, townCode, area.districtCodes)}
    OR ${inRoadCommittees(townCode, area.roadCommitteeCodes)})`;
}
