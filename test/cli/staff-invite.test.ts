import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { createStaffRegistry } from "../../src/domain/staff/registry.ts";
import { databaseWebSessions } from "../../src/domain/staff/web-session-table.ts";
import { importTownData } from "../../src/domain/town/import.ts";
import { readTownFile } from "../../src/towndata/town-file.ts";
import { freshDatabase } from "../support/databases.ts";
import { SAMPLE_TOWN_FILE, TOWN_TIME_ZONE } from "../support/town.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Runs the CLI the way `npm run staff:invite` does, against the test's PostgreSQL database. */
function runInvite(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "npx",
      ["tsx", "src/cli/staff-invite.ts", ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), LOG_LEVEL: "silent", DATABASE_URL: databaseUrl },
      },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }),
    );
  });
}

let db: Database;
let url: string;
beforeAll(async () => {
  db = await freshDatabase("postgres");
  const file = await readTownFile(SAMPLE_TOWN_FILE);
  await importTownData(db.prisma, file.data, file.hash, TOWN_TIME_ZONE);
  const [row] = await db.prisma.$queryRaw<{ name: string }[]>`SELECT current_database()::text AS name`;
  const parsed = new URL(inject("postgresUrl"));
  parsed.pathname = `/${row!.name}`;
  url = parsed.toString();
});
afterAll(async () => {
  await db.close();
});

describe("npm run staff:invite", () => {
  it("issues the first admin's one-time code, which then binds a chat account as admin", async () => {
    const result = await runInvite(["--role", "admin", "--label", "镇管理员"], url);
    expect(result.code).toBe(0);
    const code = /invitation code: ([A-Z0-9]{10})/.exec(result.stdout)?.[1];
    expect(code).toBeDefined();
    expect(result.stdout).toContain(`/join ${code}`);
    const registry = createStaffRegistry({ prisma: db.prisma, sql: db.sql, townCode: "wujing", webSessions: databaseWebSessions(db.sql) });
    const bound = await registry.redeem(code!, { channel: "telegram", userId: "first-admin", chatId: "first-admin", locale: "zh" });
    expect(bound).toMatchObject({ type: "bound", staff: { role: "ADMIN", label: "镇管理员" } });
  }, 60_000);

  it("refuses an unknown district naming it, and bad usage with the usage line", async () => {
    const unknown = await runInvite(["--role", "district", "--label", "网格员", "--districts", "d2,d99"], url);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("d99");
    expect(unknown.stderr).not.toContain("d2,");
    const usage = await runInvite(["--role", "district", "--label", "网格员"], url);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: npm run staff:invite");
    expect(await db.prisma.staffInvite.count({ where: { role: "DISTRICT_STAFF" } })).toBe(0);
  }, 60_000);
});
