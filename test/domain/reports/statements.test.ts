import { testLogger } from "../../support/logs.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMediaStore, type MediaStore } from "../../../src/bot/media/store.ts";
import { openDatabase } from "../../../src/db/database.ts";
import { GridDirectory } from "../../../src/domain/grid/directory.ts";
import { importTownData } from "../../../src/domain/town/import.ts";
import { createReportsService, type ShopsCache, type StaffReportActions } from "../../../src/domain/reports/reports.ts";
import type { ReportDraft, ReportPlace, ReportsService } from "../../../src/domain/reports/service.ts";
import { PrismaClient } from "../../../src/generated/prisma/client.ts";
import { readTownFile } from "../../../src/towndata/town-file.ts";
import { createPostgresDatabase, statementRecordingPool } from "../../support/databases.ts";
import { LABELLED_MESSAGES, declining, resident, SAMPLE_TOWN_FILE, TINY_PNG, TOWN_TIME_ZONE } from "../../support/town.ts";
import { poolSql } from "../../../src/db/sql.ts";
import { loadConfig } from "../../../src/config.ts";

/**
 * Every statement Prisma sends costs CPU in its query compiler, so the report
 * flow's statements are counted here on the wire: each pooled connection's
 * `query` is observed, which sees exactly what PostgreSQL receives.
 */
describe("the statements the report flow sends", () => {
  let prisma: PrismaClient;
  let pool: pg.Pool;
  let reports: ReportsService & StaffReportActions & ShopsCache;
  let media: MediaStore;
  let mediaRoot: string;
  let statements: string[] = [];
  let residents = 0;

  beforeAll(async () => {
    const url = await createPostgresDatabase();
    const setup = await openDatabase({ kind: "postgres", url });
    const file = await readTownFile(SAMPLE_TOWN_FILE);
    await importTownData(setup.prisma, file.data, file.hash, TOWN_TIME_ZONE);
    await setup.close();
    pool = statementRecordingPool(url, (statement) => statements.push(statement));
    prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const grid = await GridDirectory.open(prisma, file.data.town.code, LABELLED_MESSAGES);
    reports = createReportsService({ prisma, sql: poolSql(pool), grid, townCode: file.data.town.code, timeZone: TOWN_TIME_ZONE });
    mediaRoot = await mkdtemp(path.join(tmpdir(), "linli-media-"));
    media = createMediaStore({
      root: mediaRoot,
      sql: poolSql(pool),
      maxBytes: 1024 * 1024,
      limits: loadConfig({}).media.limits,
      logger: testLogger(),
    });
  });
  beforeEach(() => {
    statements = [];
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await pool.end();
    await rm(mediaRoot, { recursive: true, force: true });
  });

  const advisoryLocks = () => statements.filter((sql) => sql.includes("pg_advisory_xact_lock"));

  /** What the report flow asks the service for one report, step by step, as report-flow.ts does. */
  const fileReport = async (place: ReportPlace, photo: number) => {
    const user = resident(`statements-${++residents}`);
    await reports.checkRateLimit(user);
    // The words are read in memory; the category they point to is confirmed from the list.
    const category = (await reports.categories()).find((c) => c.code === "pavement-trading")!;
    const stored = await media.put(TINY_PNG(photo));
    if (!stored.ok) throw new Error(`photo refused: ${stored.reason}`);
    if (place.roadCode) await reports.merchantsOnRoad(place.roadCode);
    await reports.findNearbyOpen(category.code, place);
    // The summary: category, route and the chosen shop are shown again.
    await reports.categories();
    await reports.routeFor(category.code, place);
    if (place.roadCode) await reports.merchantsOnRoad(place.roadCode);
    // No shop named: what a named shop adds to the submission (its standing, its owners' notices) is not the flow's.
    const draft: ReportDraft = {
      categoryCode: category.code,
      place,
      description: "店门口摆了三张桌子",
      photoIds: [stored.mediaId],
      contactAllowed: false,
    };
    return reports.submit(draft, user, declining());
  };

  const tables = (sql: string) => [...sql.matchAll(/(?:FROM|JOIN|INTO)\s+(?:"public"\.)?"(\w+)"/g)].map((match) => match[1]);
  const touching = (table: string) => statements.filter((sql) => tables(sql).includes(table));
  /** Statements that read rows of `table` itself (not those that only join it to filter another). */
  const reads = (table: string) => statements.filter((sql) => /^\s*SELECT/.test(sql) && tables(sql)[0] === table);

  it("files reports with no read of a missing road or neighbourhood, categories and shops read once, and one duplicate lock each", async () => {
    // The first report fills what is read once per town-data import.
    await fileReport({ roadCode: "yongde", houseNumber: 12 }, 1);
    statements = [];

    const onRoad = await fileReport({ roadCode: "yongde", houseNumber: 40 }, 2);
    const byPin = await fileReport({ districtCode: "d4", latitude: 31.02, longitude: 121.45 }, 3);
    expect([onRoad.type, byPin.type]).toEqual(["created", "created"]);

    // A relation Prisma loads for a null foreign key costs a statement that can return nothing.
    expect(statements.filter((sql) => /IN \(NULL\)/.test(sql))).toEqual([]);
    // Places are ids mapped to grid codes: no statement reads these rows only for their codes. The one
    // that does the reverse for the new report (codes to ids) is the report's own insert, inside its transaction.
    const placeIdsOfNewReport = (sql: string) => sql.includes('INSERT INTO "Report" (');
    expect(statements.filter(placeIdsOfNewReport)).toHaveLength(2);
    for (const table of ["Road", "Neighbourhood", "District", "RoadCommittee"])
      expect(reads(table).filter((sql) => !placeIdsOfNewReport(sql))).toEqual([]);
    expect(reads("ReportCategory")).toEqual([]);
    expect(reads("Merchant")).toEqual([]);
    expect(advisoryLocks()).toHaveLength(2);
    // Each new photo: one insert (its bounds checked in it), with no transaction around it; each
    // report's own insert looks the photos up, leaving out one swept meanwhile.
    expect(touching("Media").filter((sql) => !placeIdsOfNewReport(sql))).toHaveLength(2);
  });

  it("reads the town's shops once for every road and step, and again once told a shop was added", async () => {
    reports.forgetShops();
    const before = await reports.merchantsOnRoad("yongde");
    await reports.merchantsOnRoad("yongde");
    await reports.merchantsOnRoad("heqing");
    expect(reads("Merchant")).toHaveLength(1);

    const road = await prisma.road.findFirstOrThrow({ where: { code: "yongde" } });
    await prisma.merchant.create({
      data: {
        townCode: "wujing",
        code: "statements-new-shop",
        name: "新开的店",
        nameEn: "New shop",
        roadId: road.id,
        houseNumber: 1,
        managedInChat: true,
      },
    });
    expect(await reports.merchantsOnRoad("yongde")).toEqual(before);
    reports.forgetShops();
    expect((await reports.merchantsOnRoad("yongde")).map((shop) => shop.code)).toEqual([
      "statements-new-shop",
      ...before.map((shop) => shop.code),
    ]);
  });

  it("stores a new photo in one statement and finds a known one in two", async () => {
    const first = await media.put(TINY_PNG(100));
    expect(statements.map((sql) => sql.trim().split(/\s+/)[0])).toEqual(["WITH"]);
    statements = [];
    expect(await media.put(TINY_PNG(100))).toEqual(first);
    expect(statements.map((sql) => sql.trim().split(/\s+/)[0])).toEqual(["WITH", "SELECT"]);
    expect(advisoryLocks()).toEqual([]);
  });

  it("shows a nearby open report from one read of the reports once they are found, with its place named from the grid", async () => {
    const category = (await reports.categories())[0]!;
    const filed = await reports.submit(
      {
        categoryCode: category.code,
        place: { roadCode: "yongde", houseNumber: 200 },
        description: "门口堆放杂物",
        photoIds: [],
        contactAllowed: false,
      },
      resident("statements-nearby"),
      declining(),
    );
    if (filed.type !== "created") throw new Error(`expected a new report, got ${filed.type}`);
    statements = [];

    const nearby = await reports.findNearbyOpen(category.code, { roadCode: "yongde", houseNumber: 202 });

    expect(nearby).toEqual([
      expect.objectContaining({
        reference: filed.reference,
        place: { zh: "永德路200号", en: "No. 200, Yongde Road" },
        category: category.name,
        supporters: 0,
      }),
    ]);
    // The candidates come with what showing them needs, their follower count included: nothing per relation.
    expect(statements).toHaveLength(1);
    expect(statements.every((sql) => tables(sql).includes("Report"))).toBe(true);
  });
});
