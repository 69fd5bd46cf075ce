import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import type { PrismaClient } from "../../../src/generated/prisma/client.ts";
import { importTownData } from "../../../src/domain/grid/import.ts";
import type { TownData } from "../../../src/domain/grid/town-data.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { DATABASE_KINDS, freshDatabase } from "../../support/databases.ts";

const SAMPLE = path.resolve(import.meta.dirname, "../../../data/wujing.sample.yaml");

/** Every grid row, in an order that does not depend on insertion order. */
async function snapshot(prisma: PrismaClient) {
  return {
    towns: await prisma.town.findMany({ orderBy: { code: "asc" } }),
    districts: await prisma.district.findMany({ orderBy: { code: "asc" } }),
    members: await prisma.committeeMember.findMany({ orderBy: [{ districtId: "asc" }, { sortOrder: "asc" }] }),
    neighbourhoods: await prisma.neighbourhood.findMany({ orderBy: { code: "asc" } }),
    roadCommittees: await prisma.roadCommittee.findMany({ orderBy: { code: "asc" } }),
    roads: await prisma.road.findMany({ orderBy: { code: "asc" } }),
    segments: await prisma.roadSegment.findMany({ orderBy: [{ roadId: "asc" }, { fromNumber: "asc" }, { parity: "asc" }] }),
  };
}

const idsByCode = (rows: { code: string; id: string }[]) => Object.fromEntries(rows.map((row) => [row.code, row.id]));

describe.each(DATABASE_KINDS)("importing town data on %s", (kind) => {
  let sample: { data: TownData; hash: string };
  let db: Database | undefined;
  beforeAll(async () => {
    sample = await readTownFile(SAMPLE);
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });
  const open = async () => {
    db = await freshDatabase(kind);
    return db.prisma;
  };
  const edited = () => structuredClone(sample.data);

  it("the sample creates the whole grid, and importing the same file again changes nothing", async () => {
    const prisma = await open();
    const first = await importTownData(prisma, sample.data, sample.hash);
    expect(first).toEqual({
      status: "imported",
      townCode: "wujing",
      townCreated: true,
      districts: { created: sample.data.districts.length, updated: 0, removed: 0 },
      neighbourhoods: { created: sample.data.neighbourhoods.length, updated: 0, removed: 0 },
      roadCommittees: { created: 7, updated: 0, removed: 0 },
      roads: { created: sample.data.roads.length, updated: 0, removed: 0 },
      committeeMembers: sample.data.districts.reduce((sum, d) => sum + d.members.length, 0),
      roadSegments: sample.data.roads.reduce((sum, r) => sum + r.segments.length, 0),
    });
    const before = await snapshot(prisma);
    expect(before.towns).toMatchObject([{ code: "wujing", isSample: true, dataHash: sample.hash }]);
    expect(before.districts.find((d) => d.code === "d1")!.boundary).toEqual(sample.data.districts[0]!.boundary);
    expect(before.neighbourhoods.find((n) => n.code === "zizhu-peninsula")!.aliases).toContain("紫竹半岛");

    expect(await importTownData(prisma, sample.data, sample.hash)).toEqual({ status: "unchanged", townCode: "wujing" });
    expect(await snapshot(prisma)).toEqual(before);
  });

  it("re-importing edited content keeps every id and rewrites the edited fields", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash);
    const before = await snapshot(prisma);

    const data = edited();
    data.districts[0]!.officePhone = "021-0000-9999";
    data.roads.find((r) => r.code === "yongde")!.aliases.push("永德老街");
    const result = await importTownData(prisma, data, "edited");
    expect(result).toMatchObject({
      status: "imported",
      townCreated: false,
      districts: { created: 0, updated: 4, removed: 0 },
      roads: { created: 0, updated: sample.data.roads.length, removed: 0 },
    });

    const after = await snapshot(prisma);
    for (const table of ["districts", "neighbourhoods", "roadCommittees", "roads"] as const) {
      expect(idsByCode(after[table])).toEqual(idsByCode(before[table]));
    }
    expect(after.districts.find((d) => d.code === "d1")!.officePhone).toBe("021-0000-9999");
    expect(after.roads.find((r) => r.code === "yongde")!.aliases).toContain("永德老街");
    expect(after.towns[0]!.dataHash).toBe("edited");
    const withoutIds = <T extends { id: string }>(rows: T[]) => rows.map(({ id: _id, ...rest }) => rest);
    expect(withoutIds(after.members)).toEqual(withoutIds(before.members));
    expect(withoutIds(after.segments)).toEqual(withoutIds(before.segments));
  });

  it("a re-import without a neighbourhood deletes it and leaves the others in place", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash);
    const before = await snapshot(prisma);

    const data = edited();
    data.neighbourhoods = data.neighbourhoods.filter((n) => n.code !== "zixing");
    for (const segment of data.roads.flatMap((r) => r.segments)) {
      if (segment.neighbourhood === "zixing") delete segment.neighbourhood;
    }
    const result = await importTownData(prisma, data, "without-zixing");
    expect(result).toMatchObject({ neighbourhoods: { created: 0, updated: data.neighbourhoods.length, removed: 1 } });

    const after = await snapshot(prisma);
    const { zixing: removedId, ...kept } = idsByCode(before.neighbourhoods);
    expect(idsByCode(after.neighbourhoods)).toEqual(kept);
    expect(after.segments.some((s) => s.neighbourhoodId === removedId)).toBe(false);
    expect(after.segments).toHaveLength(before.segments.length);
  });

  it("a neighbourhood moved to another district keeps its id, and a dropped road and road committee are deleted", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash);
    const before = await snapshot(prisma);

    const data = edited();
    data.neighbourhoods.find((n) => n.code === "huaning")!.district = "d4";
    for (const segment of data.roads.flatMap((r) => r.segments)) {
      if (segment.neighbourhood === "huaning") delete segment.neighbourhood;
    }
    data.roads = data.roads.filter((r) => r.code !== "baoxiu");
    data.roadCommittees = data.roadCommittees.filter((c) => c.code !== "rc6");
    data.roadCommittees.find((c) => c.code === "rc5")!.roads.push("dongchuan");
    const result = await importTownData(prisma, data, "moved");
    expect(result).toMatchObject({ roadCommittees: { removed: 1 }, roads: { removed: 1 }, neighbourhoods: { removed: 0 } });

    const after = await snapshot(prisma);
    const huaning = after.neighbourhoods.find((n) => n.code === "huaning")!;
    expect(huaning.id).toBe(idsByCode(before.neighbourhoods).huaning);
    expect(huaning.districtId).toBe(idsByCode(after.districts).d4);
    expect(after.roads.map((r) => r.code)).not.toContain("baoxiu");
    expect(after.roadCommittees.map((c) => c.code)).not.toContain("rc6");
    const dongchuan = after.roads.find((r) => r.code === "dongchuan")!;
    expect(dongchuan.roadCommitteeId).toBe(idsByCode(after.roadCommittees).rc5);
    const baoxiuId = idsByCode(before.roads).baoxiu;
    expect(after.segments.some((s) => s.roadId === baoxiuId)).toBe(false);
  });

  it("an import that fails part-way leaves the previous data exactly as it was", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash);
    const before = await snapshot(prisma);

    // Validation would refuse this; skipping it forces a failure after the town row was already rewritten.
    const data = edited();
    data.districts[0]!.name = "改名的第一片区";
    data.roads[0]!.segments.push({ from: 9000, to: 9001, parity: "all", district: "d9" });
    await expect(importTownData(prisma, data, "broken")).rejects.toThrow(/d9/);
    expect(await snapshot(prisma)).toEqual(before);
  });
});
