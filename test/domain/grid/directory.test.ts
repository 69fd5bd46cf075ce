import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import type { GridDirectory } from "../../../src/domain/grid/directory.ts";
import { importTownData } from "../../../src/domain/town/import.ts";
import { GridIndex } from "../../../src/domain/grid/index.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { openSampleTown, SAMPLE_TOWN_FILE, TOWN_TIME_ZONE } from "../../support/town.ts";

let db: Database;
let grid: GridDirectory;

beforeAll(async () => {
  ({ db, grid } = await openSampleTown());
});
afterAll(async () => {
  await db.close();
});

describe("the grid directory", () => {
  it("keeps its index while the data is unchanged and rebuilds it after a re-import", async () => {
    expect(await grid.refreshIfChanged()).toBe(false);
    expect(grid.index.lookup("紫竹半岛").type).toBe("found");

    const { data } = await readTownFile(SAMPLE_TOWN_FILE);
    const withoutZizhu = { ...data, neighbourhoods: data.neighbourhoods.filter((n) => n.code !== "zizhu-peninsula") };
    withoutZizhu.roads = withoutZizhu.roads.map((road) => ({
      ...road,
      segments: road.segments.map((segment) =>
        segment.neighbourhood === "zizhu-peninsula" ? { ...segment, neighbourhood: undefined } : segment,
      ),
    }));
    await importTownData(db.prisma, withoutZizhu, "edited-file-hash", TOWN_TIME_ZONE);

    expect(await grid.refreshIfChanged()).toBe(true);
    expect(grid.index.lookup("紫竹半岛居民区").type).not.toBe("found");
    expect(await grid.refreshIfChanged()).toBe(false);
  });
});

describe("the town's own places that prompts quote", () => {
  it("are the first road at a number its first stretch holds and the first neighbourhood as residents say it, and nothing for a town without them", () => {
    const snapshot = grid.index.snapshot;
    expect(grid.index.examples()).toEqual({
      address: { road: { zh: "宝秀路", en: "Baoxiu Road" }, houseNumber: 1 },
      neighbourhood: { zh: "虹梅新苑第一", en: "Hongmei Xinyuan No. 1 Neighbourhood" },
    });
    const road = snapshot.roads[0]!;
    const oddFromTwo = new GridIndex({
      ...snapshot,
      roads: [{ ...road, segments: [{ ...road.segments[0]!, from: 2, to: 9, parity: "ODD" }] }],
    });
    expect(oddFromTwo.examples().address).toEqual({ road: road.name, houseNumber: 3 });
    expect(new GridIndex({ ...snapshot, roads: [], neighbourhoods: [] }).examples()).toEqual({
      address: undefined,
      neighbourhood: undefined,
    });
  });
});

describe("reading a house number from what a resident typed", () => {
  it("never reads a phone or ID number as a house number, however it is written", () => {
    for (const text of [
      "华宁路门口一直有人摆摊，我电话13816602375",
      "华宁路，我电话１３８１６６０２３７５",
      "华宁路 联系 138 1660 2375",
      "华宁路 联系138.1660.2375",
      "华宁路 +86 138-1660-2375",
      "华宁路 店里电话(021)5432-1234",
      "华宁路 身份证310104 19900101 1234",
      "华宁路 订单号20261207001",
    ]) {
      const result = grid.index.lookup(text);
      expect(result, text).toMatchObject({ type: "found", answer: { road: { code: "huaning", houseNumber: null } } });
    }
  });

  it("still reads the house number beside a phone number, before or after it", () => {
    for (const text of ["华宁路128号，我电话13816602375", "我电话 138 1660 2375，华宁路128号", "华宁路１２８号 电话(021)5432-1234"]) {
      expect(grid.index.lookup(text), text).toMatchObject({ type: "found", answer: { road: { code: "huaning", houseNumber: 128 } } });
    }
  });
});
