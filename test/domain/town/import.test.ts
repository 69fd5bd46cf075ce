import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import type { PrismaClient } from "../../../src/generated/prisma/client.ts";
import { CategoryInUseError, importTownData } from "../../../src/domain/town/import.ts";
import type { TownData } from "../../../src/domain/town/town-data.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { DATABASE_KINDS, freshDatabase } from "../../support/databases.ts";
import { TOWN_TIME_ZONE } from "../../support/town.ts";

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
    categories: await prisma.reportCategory.findMany({ orderBy: { code: "asc" } }),
    merchants: await prisma.merchant.findMany({ orderBy: { code: "asc" } }),
    reports: await prisma.report.findMany({ orderBy: { reference: "asc" } }),
  };
}

/** A minimal report, as the reports service would file it, so the import has something that depends on a category and a shop. */
async function fileReport(prisma: PrismaClient, categoryCode: string, merchantCode?: string) {
  const category = await prisma.reportCategory.findUniqueOrThrow({ where: { townCode_code: { townCode: "wujing", code: categoryCode } } });
  const merchant = merchantCode
    ? await prisma.merchant.findUniqueOrThrow({ where: { townCode_code: { townCode: "wujing", code: merchantCode } } })
    : null;
  const reporter = await prisma.chatUser.upsert({
    where: { channel_channelUserId: { channel: "web", channelUserId: "resident-1" } },
    create: { channel: "web", channelUserId: "resident-1", chatId: "chat-1" },
    update: {},
  });
  const count = await prisma.report.count();
  return prisma.report.create({
    data: {
      reference: `WJ-2026-${String(count + 1).padStart(6, "0")}`,
      townCode: "wujing",
      categoryId: category.id,
      reporterId: reporter.id,
      contactAllowed: false,
      description: "永德路12号门口又在占道摆摊",
      merchantId: merchant?.id ?? null,
    },
  });
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
    const first = await importTownData(prisma, sample.data, sample.hash, TOWN_TIME_ZONE);
    expect(first).toEqual({
      status: "imported",
      townCode: "wujing",
      townCreated: true,
      districts: { created: sample.data.districts.length, updated: 0, removed: 0 },
      neighbourhoods: { created: sample.data.neighbourhoods.length, updated: 0, removed: 0 },
      roadCommittees: { created: 7, updated: 0, removed: 0 },
      roads: { created: sample.data.roads.length, updated: 0, removed: 0 },
      categories: { created: 9, updated: 0, removed: 0 },
      merchants: { created: sample.data.merchants.length, updated: 0, removed: 0 },
      alertDestinations: { created: 0, updated: 0, removed: 0 },
      courses: {
        courses: { created: 4, updated: 0, removed: 0 },
        cohorts: { created: 5, updated: 0, removed: 0 },
        sessions: { created: 26, updated: 0, removed: 0 },
        promoted: 0,
      },
      compact: { version: 1, published: true },
      committeeMembers: sample.data.districts.reduce((sum, d) => sum + d.members.length, 0),
      roadSegments: sample.data.roads.reduce((sum, r) => sum + r.segments.length, 0),
    });
    const before = await snapshot(prisma);
    expect(before.towns).toMatchObject([{ code: "wujing", isSample: true, referencePrefix: "WJ", dataHash: sample.hash }]);
    const roadCommitteeIds = idsByCode(before.roadCommittees);
    expect(before.categories.find((c) => c.code === "greening")).toMatchObject({
      name: "破坏绿化",
      clauseRef: "第八条",
      routeToRoadCommitteeId: roadCommitteeIds.rc1,
      routeToDistrictId: null,
      sortOrder: 6,
    });
    expect(before.categories.find((c) => c.code === "pavement-trading")!.keywords).toEqual(
      expect.arrayContaining(["摆摊", "占道", "stall"]),
    );
    expect(before.categories.filter((c) => c.routeToRoadCommitteeId !== null || c.routeToDistrictId !== null)).toHaveLength(1);
    expect(before.merchants.find((m) => m.code === "yd-noodles")).toMatchObject({
      roadId: idsByCode(before.roads).yongde,
      houseNumber: 12,
    });
    expect(before.merchants.find((m) => m.code === "jh-bike-repair")!.houseNumber).toBeNull();
    expect(before.districts.find((d) => d.code === "d1")!.boundary).toEqual(sample.data.districts[0]!.boundary);
    expect(before.neighbourhoods.find((n) => n.code === "zizhu-peninsula")!.aliases).toContain("紫竹半岛");

    expect(await importTownData(prisma, sample.data, sample.hash, TOWN_TIME_ZONE)).toEqual({ status: "unchanged", townCode: "wujing" });
    expect(await snapshot(prisma)).toEqual(before);
  });

  it("re-importing edited content keeps every id and rewrites the edited fields", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash, TOWN_TIME_ZONE);
    const before = await snapshot(prisma);

    const data = edited();
    data.districts[0]!.officePhone = "021-0000-9999";
    data.roads.find((r) => r.code === "yongde")!.aliases.push("永德老街");
    data.town.referencePrefix = "WJZ";
    const noise = data.categories.find((c) => c.code === "noise")!;
    noise.keywords.push("蹦迪");
    noise.routeTo = { district: "d2" };
    data.merchants.find((m) => m.code === "yd-noodles")!.houseNumber = 14;
    const result = await importTownData(prisma, data, "edited", TOWN_TIME_ZONE);
    expect(result).toMatchObject({
      status: "imported",
      townCreated: false,
      districts: { created: 0, updated: 4, removed: 0 },
      roads: { created: 0, updated: sample.data.roads.length, removed: 0 },
      categories: { created: 0, updated: 9, removed: 0 },
      merchants: { created: 0, updated: sample.data.merchants.length, removed: 0 },
    });

    const after = await snapshot(prisma);
    for (const table of ["districts", "neighbourhoods", "roadCommittees", "roads", "categories", "merchants"] as const) {
      expect(idsByCode(after[table])).toEqual(idsByCode(before[table]));
    }
    expect(after.districts.find((d) => d.code === "d1")!.officePhone).toBe("021-0000-9999");
    expect(after.roads.find((r) => r.code === "yongde")!.aliases).toContain("永德老街");
    expect(after.towns[0]).toMatchObject({ dataHash: "edited", referencePrefix: "WJZ" });
    expect(after.categories.find((c) => c.code === "noise")).toMatchObject({
      routeToDistrictId: idsByCode(after.districts).d2,
      routeToRoadCommitteeId: null,
    });
    expect(after.categories.find((c) => c.code === "noise")!.keywords).toContain("蹦迪");
    expect(after.merchants.find((m) => m.code === "yd-noodles")!.houseNumber).toBe(14);
    const withoutIds = <T extends { id: string }>(rows: T[]) => rows.map(({ id: _id, ...rest }) => rest);
    expect(withoutIds(after.members)).toEqual(withoutIds(before.members));
    expect(withoutIds(after.segments)).toEqual(withoutIds(before.segments));
  });

  it("a re-import without a neighbourhood deletes it and leaves the others in place", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash, TOWN_TIME_ZONE);
    const before = await snapshot(prisma);

    const data = edited();
    data.neighbourhoods = data.neighbourhoods.filter((n) => n.code !== "zixing");
    for (const segment of data.roads.flatMap((r) => r.segments)) {
      if (segment.neighbourhood === "zixing") delete segment.neighbourhood;
    }
    const result = await importTownData(prisma, data, "without-zixing", TOWN_TIME_ZONE);
    expect(result).toMatchObject({ neighbourhoods: { created: 0, updated: data.neighbourhoods.length, removed: 1 } });

    const after = await snapshot(prisma);
    const { zixing: removedId, ...kept } = idsByCode(before.neighbourhoods);
    expect(idsByCode(after.neighbourhoods)).toEqual(kept);
    expect(after.segments.some((s) => s.neighbourhoodId === removedId)).toBe(false);
    expect(after.segments).toHaveLength(before.segments.length);
  });

  it("a neighbourhood moved to another district keeps its id, and a dropped road and road committee are deleted", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash, TOWN_TIME_ZONE);
    const before = await snapshot(prisma);

    const data = edited();
    data.neighbourhoods.find((n) => n.code === "huaning")!.district = "d4";
    for (const segment of data.roads.flatMap((r) => r.segments)) {
      if (segment.neighbourhood === "huaning") delete segment.neighbourhood;
    }
    data.roads = data.roads.filter((r) => r.code !== "baoxiu");
    data.roadCommittees = data.roadCommittees.filter((c) => c.code !== "rc6");
    data.roadCommittees.find((c) => c.code === "rc5")!.roads.push("dongchuan");
    const result = await importTownData(prisma, data, "moved", TOWN_TIME_ZONE);
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

  it("a category and a merchant left out of the file are deleted, and a report about the shop keeps its category", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash, TOWN_TIME_ZONE);
    const report = await fileReport(prisma, "pavement-trading", "yd-noodles");
    const before = await snapshot(prisma);

    const data = edited();
    data.categories = data.categories.filter((c) => c.code !== "signage");
    data.merchants = data.merchants.filter((m) => m.code !== "yd-noodles");
    const result = await importTownData(prisma, data, "fewer", TOWN_TIME_ZONE);
    expect(result).toMatchObject({
      categories: { updated: 8, removed: 1 },
      merchants: { updated: sample.data.merchants.length - 1, removed: 1 },
    });

    const after = await snapshot(prisma);
    const { signage: _signage, ...keptCategories } = idsByCode(before.categories);
    expect(idsByCode(after.categories)).toEqual(keptCategories);
    const { "yd-noodles": _noodles, ...keptMerchants } = idsByCode(before.merchants);
    expect(idsByCode(after.merchants)).toEqual(keptMerchants);
    expect(after.reports).toEqual([{ ...before.reports[0]!, merchantId: null }]);
    expect(after.reports[0]!.categoryId).toBe(report.categoryId);
    // sortOrder follows the file, so the category after the dropped one moves up.
    expect(after.categories.find((c) => c.code === "other")!.sortOrder).toBe(7);
  });

  it("a file that drops a category reports still use is refused with the category named, and nothing changes", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash, TOWN_TIME_ZONE);
    await fileReport(prisma, "parking");
    await fileReport(prisma, "parking");
    const before = await snapshot(prisma);

    const data = edited();
    data.categories = data.categories.filter((c) => c.code !== "parking" && c.code !== "signage");
    data.districts[0]!.name = "改名的第一片区";
    const error = await importTownData(prisma, data, "without-parking", TOWN_TIME_ZONE).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CategoryInUseError);
    const refused = error as CategoryInUseError;
    expect(refused.categories).toEqual([{ code: "parking", name: "违规停车", nameEn: "Illegal parking", reports: 2 }]);
    expect(refused.message).toContain("“违规停车”（parking，2 条举报）");
    expect(refused.message).toContain('"Illegal parking" (parking, 2 report(s))');
    expect(await snapshot(prisma)).toEqual(before);
  });

  it("an import that fails part-way leaves the previous data exactly as it was", async () => {
    const prisma = await open();
    await importTownData(prisma, sample.data, sample.hash, TOWN_TIME_ZONE);
    const before = await snapshot(prisma);

    // Validation would refuse this; skipping it forces a failure after the town row was already rewritten.
    const data = edited();
    data.districts[0]!.name = "改名的第一片区";
    data.roads[0]!.segments.push({ from: 9000, to: 9001, parity: "all", district: "d9" });
    await expect(importTownData(prisma, data, "broken", TOWN_TIME_ZONE)).rejects.toThrow(/d9/);
    expect(await snapshot(prisma)).toEqual(before);
  });
});
