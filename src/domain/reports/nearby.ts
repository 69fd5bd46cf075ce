import type { Report } from "../../generated/prisma/client.ts";
import { empty, join, sql, type Sql, type Statement } from "../../db/sql.ts";
import { maskPersonalNumbers } from "../privacy.ts";
import { DAY, OPEN_STATUSES, type GridIds, type ReportsContext } from "./context.ts";
import { distanceMeters } from "./place.ts";
import type { NearbyReport, ReportPlace, ReportsService } from "./service.ts";
import { placeLabel } from "./views.ts";

const MAX_NEARBY = 5;
/** A degree of latitude is about this long everywhere; a degree of longitude shrinks with cos(latitude). */
const METERS_PER_DEGREE_LATITUDE = 111_320;
// The candidates a duplicate check looks at; a town files far fewer open reports of one category in the window.
const NEARBY_CANDIDATES = 500;

/** What the duplicate check reads of an open report near the spot. */
type NearbyCandidate = Pick<
  Report,
  "id" | "reference" | "reporterId" | "latitude" | "longitude" | "houseNumber" | "roadId" | "neighbourhoodId"
>;
/** What showing a nearby report to a resident adds to {@link NearbyCandidate}. */
type NearbyShown = Pick<Report, "status" | "description" | "createdAt" | "districtId"> & { supporters: number };
// A popular report is shown without counting its followers: the count is kept on the report.
const SHOWN_COLUMNS = sql`, r."status", r."description", r."createdAt", r."districtId", r."followerCount" AS "supporters"`;

/**
 * Open reports near a place: the duplicate check of a submission and the
 * nearby reports a resident is shown before submitting.
 */
export function nearbyOf(ctx: ReportsContext) {
  const { db, grid, townCode, clock, options, categoryRows, gridIds, codeOf } = ctx;

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
    { columns = empty, filedSince }: { columns?: Statement; filedSince?: Date } = {},
  ) => {
    const windowStart = clock().getTime() - options.duplicateWindowDays * DAY;
    const since = new Date(Math.max(windowStart, filedSince?.getTime() ?? windowStart));
    const hasPosition = place.latitude !== undefined && place.longitude !== undefined;
    // The database narrows to reports that can pass the filter below (within a bounding box of the
    // distance, on the same road near the house number, or in the same neighbourhood), so a busy
    // category costs a few rows, not NEARBY_CANDIDATES fully loaded reports per check.
    const near: Statement[] = [];
    if (hasPosition) {
      const latitudeSpan = (options.duplicateDistanceMeters / METERS_PER_DEGREE_LATITUDE) * 1.01;
      const longitudeSpan = latitudeSpan / Math.max(Math.cos((place.latitude! * Math.PI) / 180), 0.01);
      near.push(
        sql`(r."latitude" BETWEEN ${place.latitude! - latitudeSpan} AND ${place.latitude! + latitudeSpan} AND r."longitude" BETWEEN ${place.longitude! - longitudeSpan} AND ${place.longitude! + longitudeSpan})`,
      );
    }
    if (place.roadCode) {
      const span = options.duplicateHouseNumberSpan;
      const onRoad = sql`r."roadId" = (SELECT "id" FROM "Road" WHERE "townCode" = ${townCode} AND "code" = ${place.roadCode})`;
      near.push(
        place.houseNumber === undefined
          ? sql`(${onRoad})`
          : sql`(${onRoad} AND (r."houseNumber" IS NULL OR r."houseNumber" BETWEEN ${place.houseNumber - span} AND ${place.houseNumber + span}))`,
      );
    } else if (place.neighbourhoodCode !== undefined) {
      near.push(
        sql`r."neighbourhoodId" IN (SELECT n."id" FROM "Neighbourhood" n JOIN "District" d ON d."id" = n."districtId" WHERE d."townCode" = ${townCode} AND n."code" = ${place.neighbourhoodCode})`,
      );
    }
    if (near.length === 0) return [];
    const candidates = await db.query<Row>(
      sql`SELECT r."id", r."reference", r."reporterId", r."latitude", r."longitude", r."houseNumber", r."roadId", r."neighbourhoodId"${columns}
       FROM "Report" r JOIN "ReportCategory" c ON c."id" = r."categoryId"
       WHERE r."townCode" = ${townCode} AND c."code" = ${categoryCode} AND r."status" IN (${join(OPEN_STATUSES)}) AND r."createdAt" >= ${since}
         AND (${join(near, " OR ")})
       ORDER BY r."createdAt" DESC, r."reference" DESC
       LIMIT ${NEARBY_CANDIDATES}`,
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

  const service: Pick<ReportsService, "findNearbyOpen"> = {
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
  };

  return { nearbyOpen, ...service };
}

/** The nearby-report reads of one town, made by {@link nearbyOf}. */
export type Nearby = ReturnType<typeof nearbyOf>;
