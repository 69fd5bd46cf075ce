import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import type { GridDirectory } from "../../../src/domain/grid/directory.ts";
import { importTownData } from "../../../src/domain/grid/import.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { openSampleTown, SAMPLE_TOWN_FILE } from "../../support/town.ts";

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
      segments: road.segments.map((segment) => (segment.neighbourhood === "zizhu-peninsula" ? { ...segment, neighbourhood: undefined } : segment)),
    }));
    await importTownData(db.prisma, withoutZizhu, "edited-file-hash");

    expect(await grid.refreshIfChanged()).toBe(true);
    expect(grid.index.lookup("紫竹半岛居民区").type).not.toBe("found");
    expect(await grid.refreshIfChanged()).toBe(false);
  });
});
