import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { DATABASE_KINDS, freshDatabase } from "../support/databases.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SAMPLE = path.join(ROOT, "data/wujing.sample.yaml");

/** Runs `npx tsx src/cli/import.ts …` the way `npm run import` does, with only the given configuration. */
function runImport(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npx",
      ["tsx", "src/cli/import.ts", ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), LOG_LEVEL: "silent", ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A URL for the same fresh database the test holds open, so the child process and the test see the same rows. */
async function urlOf(db: Database): Promise<string> {
  const [row] = await db.prisma.$queryRaw<{ name: string }[]>`SELECT current_database()::text AS name`;
  const url = new URL(inject("postgresUrl"));
  url.pathname = `/${row!.name}`;
  return url.toString();
}

let dir: string;
let sampleText: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "linli-import-cli-"));
  sampleText = await readFile(SAMPLE, "utf8");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("npm run import", () => {
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it(
    "imports the sample into PostgreSQL, reports unchanged the second time, and rejects a bad file without touching the data",
    { timeout: 90_000 },
    async () => {
      db = await freshDatabase(DATABASE_KINDS[1]);
      const env = { DATABASE_URL: await urlOf(db) };

      const first = await runImport([SAMPLE], env);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/片区 districts: 新增 created 4, 更新 updated 0, 删除 removed 0/);
      expect(first.stdout).toMatch(/路管会 road committees: 新增 created 7/);
      const imported = await db.prisma.town.findUniqueOrThrow({ where: { code: "wujing" } });

      const second = await runImport([SAMPLE], env);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/unchanged/);

      const bad = path.join(dir, "unknown-district.yaml");
      const badText = sampleText.replace(
        "    district: d1\n    committeeName: 虹梅新苑第二居民区居委会",
        "    district: d9\n    committeeName: 虹梅新苑第二居民区居委会",
      );
      expect(badText).not.toBe(sampleText);
      await writeFile(bad, badText);
      const line = badText.slice(0, badText.indexOf("district: d9")).split("\n").length;
      const rejected = await runImport([bad], env);
      expect(rejected.code).toBe(1);
      expect(rejected.stderr).toContain(`${bad}:${line}:5 neighbourhoods[1].district: `);
      expect(rejected.stdout).toBe("");
      expect(await db.prisma.town.findUniqueOrThrow({ where: { code: "wujing" } })).toEqual(imported);
      expect(await db.prisma.neighbourhood.count()).toBe(13);
    },
  );

  it("imports into the embedded database in DATA_DIR when no DATABASE_URL is set", { timeout: 90_000 }, async () => {
    const dataDir = await mkdtemp(path.join(dir, "data-"));
    const result = await runImport([SAMPLE], { DATA_DIR: dataDir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("imported town wujing");
    db = await openDatabase({ kind: "pglite", dataDir: path.join(dataDir, "pglite") });
    expect(await db.prisma.roadCommittee.count()).toBe(7);
    expect(await db.prisma.road.findFirst({ where: { name: "永德路" }, select: { aliases: true } })).toEqual({
      aliases: ["永德", "永德路商业街"],
    });
  });

  it("a bad environment variable exits 1 naming it, before reading the file", async () => {
    const result = await runImport([path.join(dir, "missing.yaml")], { DATABASE_URL: "mysql://localhost/linli" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("DATABASE_URL");
    expect(result.stderr).not.toContain("missing.yaml");
  });

  it("a missing file argument prints the usage and exits 2", async () => {
    const result = await runImport([], { DATA_DIR: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("npm run import -- <town-data.yaml>");
  });
});
