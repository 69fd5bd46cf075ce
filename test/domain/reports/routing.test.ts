import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import type { GridDirectory } from "../../../src/domain/grid/directory.ts";
import type { TownData } from "../../../src/domain/town/town-data.ts";
import type { StaffReportActions } from "../../../src/domain/reports/reports.ts";
import type { ReportsService } from "../../../src/domain/reports/service.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { declining, openSampleReports, resident, SAMPLE_TOWN_FILE } from "../../support/town.ts";

describe.each(DATABASE_KINDS)("routing reports on %s", (kind) => {
  let db: Database;
  let grid: GridDirectory;
  let reports: ReportsService & StaffReportActions;
  let data: TownData;
  // A category without an override, and the one the sample sends elsewhere, both read from the data.
  let plain: string;
  let overridden: { code: string; roadCommittee?: string; district?: string };

  beforeAll(async () => {
    ({ db, grid, reports } = await openSampleReports(kind, { reports: { rateLimit: { count: 10_000, windowMinutes: 1 } } }));
    data = (await readTownFile(SAMPLE_TOWN_FILE)).data;
    plain = data.categories.find((c) => !c.routeTo && c.code !== "other")!.code;
    const withOverride = data.categories.find((c) => c.routeTo)!;
    overridden = { code: withOverride.code, ...withOverride.routeTo };
  });
  afterAll(async () => {
    await db.close();
  });

  const committeeOfRoad = (roadCode: string) => data.roadCommittees.find((c) => c.roads.includes(roadCode))!;
  const firstNumberOf = (segment: TownData["roads"][number]["segments"][number]) =>
    segment.parity === "even" && segment.from % 2 === 1
      ? segment.from + 1
      : segment.parity === "odd" && segment.from % 2 === 0
        ? segment.from + 1
        : segment.from;

  it("sends every stretch of every road to that road's committee and files the stretch's district and neighbourhood", async () => {
    // Neighbouring stretches (odd and even sides) are duplicates of each other; these are meant as separate cases.
    const filed: string[] = [];
    for (const road of data.roads) {
      for (const segment of road.segments) {
        const houseNumber = firstNumberOf(segment);
        const committee = committeeOfRoad(road.code);
        expect(await reports.routeFor(plain, { roadCode: road.code, houseNumber })).toEqual({
          kind: "roadCommittee",
          code: committee.code,
          name: { zh: committee.name, en: committee.nameEn },
        });

        const result = await reports.submit(
          { categoryCode: plain, place: { roadCode: road.code, houseNumber }, description: "stretch", photoIds: [], contactAllowed: false },
          resident(`${road.code}-${houseNumber}`),
          declining(filed),
        );
        expect(result).toMatchObject({ type: "created", route: { kind: "roadCommittee", code: committee.code } });
        const stored = await db.prisma.report.findUniqueOrThrow({
          where: { reference: (result as { reference: string }).reference },
          include: { road: true, district: true, neighbourhood: true, routedRoadCommittee: true },
        });
        expect(stored.road?.code).toBe(road.code);
        expect(stored.houseNumber).toBe(houseNumber);
        expect(stored.district?.code).toBe(segment.district);
        expect(stored.neighbourhood?.code ?? null).toBe(segment.neighbourhood ?? null);
        expect(stored.routedRoadCommittee?.code).toBe(committee.code);
        expect(stored.routedDistrictId).toBeNull();
        filed.push(stored.reference);
      }
    }
    expect(filed).toHaveLength(data.roads.flatMap((r) => r.segments).length);
  });

  it("sends every neighbourhood to its district's committee", async () => {
    for (const neighbourhood of data.neighbourhoods) {
      const district = data.districts.find((d) => d.code === neighbourhood.district)!;
      expect(await reports.routeFor(plain, { neighbourhoodCode: neighbourhood.code })).toEqual({
        kind: "districtCommittee",
        code: district.code,
        name: { zh: district.committeeName, en: district.committeeNameEn },
      });
    }
  });

  it("sends the overridden category to its committee from every road stretch and every neighbourhood", async () => {
    const expected = overridden.roadCommittee
      ? { kind: "roadCommittee", code: overridden.roadCommittee }
      : { kind: "districtCommittee", code: overridden.district };
    for (const road of data.roads) {
      for (const segment of road.segments)
        expect(await reports.routeFor(overridden.code, { roadCode: road.code, houseNumber: firstNumberOf(segment) })).toMatchObject(
          expected,
        );
    }
    for (const neighbourhood of data.neighbourhoods)
      expect(await reports.routeFor(overridden.code, { neighbourhoodCode: neighbourhood.code })).toMatchObject(expected);
    const result = await reports.submit(
      {
        categoryCode: overridden.code,
        place: { neighbourhoodCode: data.neighbourhoods[0]!.code },
        description: "override",
        photoIds: [],
        contactAllowed: true,
      },
      resident("override"),
      declining(),
    );
    expect(result).toMatchObject({ type: "created", route: expected });
  });

  it("sends a shared location to the committee of the district whose boundary holds it, and a given district to its committee", async () => {
    for (const district of data.districts) {
      expect(await reports.routeFor(plain, { districtCode: district.code })).toMatchObject({
        kind: "districtCommittee",
        code: district.code,
      });
      const ring = district.boundary?.[0];
      if (!ring) continue;
      const [lng, lat] = insidePoint(ring);
      expect(grid.index.locate(lat, lng)).toMatchObject({ type: "found", answer: { district: { code: district.code } } });
      expect(await reports.routeFor(plain, { latitude: lat, longitude: lng })).toMatchObject({
        kind: "districtCommittee",
        code: district.code,
      });
    }
  });

  it("routes nowhere when the place cannot be placed: outside the town, or a road that does not exist", async () => {
    expect(await reports.routeFor(plain, { latitude: 39.9, longitude: 116.4 })).toBeNull();
    expect(await reports.routeFor(plain, { roadCode: "no-such-road", houseNumber: 1 })).toBeNull();
    expect(await reports.routeFor(plain, {})).toBeNull();
  });
});

/** The mean of a ring's corners (the closing corner counted once); the sample's boundaries are convex enough for it to lie inside. */
function insidePoint(ring: [number, number][]): [number, number] {
  const corners = ring.slice(0, -1);
  return [corners.reduce((s, [x]) => s + x, 0) / corners.length, corners.reduce((s, [, y]) => s + y, 0) / corners.length];
}
