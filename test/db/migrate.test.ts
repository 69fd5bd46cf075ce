import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { applyMigrations, MIGRATIONS_DIR, type SqlConnection } from "../../src/db/migrate.ts";
import { schemaDrift } from "../../src/cli/new-migration.ts";
import { DATABASE_KINDS, freshDatabase } from "../support/databases.ts";

describe.each(DATABASE_KINDS)("migrations on %s", (kind) => {
  let db: Database | undefined;
  afterEach(async () => {
    await db?.close();
  });

  it("a new database gets every committed migration recorded once", async () => {
    db = await freshDatabase(kind);
    const rows = await db.prisma.$queryRaw<{ migration_name: string; finished_at: Date | null }[]>`
      SELECT migration_name, finished_at FROM "_prisma_migrations"`;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.finished_at !== null)).toBe(true);
    expect(await db.ping()).toBe(true);
  });
});

describe("the committed migrations", () => {
  it("produce exactly the schema in prisma/schema.prisma (no change is missing a migration)", async () => {
    expect((await schemaDrift()).trim()).toBe("");
  }, 120_000);
});

describe("the migration that keeps a follower count on each report", () => {
  it("starts every report already filed from the followers it has", async () => {
    const pglite = await PGlite.create();
    const connection: SqlConnection = {
      exec: async (sql) => {
        await pglite.exec(sql);
      },
      query: async <Row>(sql: string, params?: unknown[]) => (await pglite.query<Row>(sql, params)).rows,
    };
    const names = (await readdir(MIGRATIONS_DIR)).filter((name) => name !== "migration_lock.toml").sort();
    const counting = names.findIndex((name) => name.endsWith("_report_follower_count"));
    const earlier = await mkdtemp(path.join(tmpdir(), "linli-migrations-"));
    try {
      for (const name of names.slice(0, counting)) await cp(path.join(MIGRATIONS_DIR, name), path.join(earlier, name), { recursive: true });
      await applyMigrations(connection, { migrationsDir: earlier });
      await pglite.exec(`
        INSERT INTO "Town" ("code", "name", "nameEn", "officeName", "officeNameEn", "officePhone", "officeHours", "officeHoursEn", "officeAddress", "isSample", "dataHash", "importedAt")
          VALUES ('wujing', '吴泾镇', 'Wujing', '办', 'Office', '021', '9-5', '9-5', '路', true, 'h', now());
        INSERT INTO "ReportCategory" ("id", "townCode", "code", "name", "nameEn", "clauseRef", "clauseText", "clauseTextEn", "sortOrder")
          VALUES ('c1', 'wujing', 'stall', '占道', 'Stall', '1', '条', 'Clause', 1);
        INSERT INTO "ChatUser" ("id", "channel", "channelUserId", "chatId") SELECT 'u' || g, 'telegram', 'u' || g, 'u' || g FROM generate_series(1, 4) g;
        INSERT INTO "Report" ("id", "reference", "townCode", "categoryId", "reporterId", "contactAllowed", "description", "updatedAt")
          VALUES ('r1', 'WJ-2026-000001', 'wujing', 'c1', 'u1', false, '占道', now()), ('r2', 'WJ-2026-000002', 'wujing', 'c1', 'u1', false, '占道', now());
        INSERT INTO "ReportFollower" ("id", "reportId", "userId") VALUES ('f2', 'r1', 'u2'), ('f3', 'r1', 'u3'), ('f4', 'r1', 'u4');`);

      await applyMigrations(connection);

      expect((await pglite.query(`SELECT "id", "followerCount" FROM "Report" ORDER BY "id"`)).rows).toEqual([
        { id: "r1", followerCount: 3 },
        { id: "r2", followerCount: 0 },
      ]);
    } finally {
      await rm(earlier, { recursive: true, force: true });
      await pglite.close();
    }
  });
});

describe("an embedded database that migrations are about to change", () => {
  it("is copied into its backups folder first, and the copy holds the data from before; a new database is not copied", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "linli-migrate-backup-"));
    const dataDir = path.join(root, "pglite");
    const backupDir = path.join(root, "backups");
    const names = (await readdir(MIGRATIONS_DIR)).filter((name) => name !== "migration_lock.toml").sort();
    const earlier = path.join(root, "earlier");
    try {
      for (const name of names.slice(0, -1)) await cp(path.join(MIGRATIONS_DIR, name), path.join(earlier, name), { recursive: true });
      const pglite = await PGlite.create(dataDir);
      await applyMigrations(
        {
          exec: async (sql) => void (await pglite.exec(sql)),
          query: async <Row>(sql: string, params?: unknown[]) => (await pglite.query<Row>(sql, params)).rows,
        },
        { migrationsDir: earlier },
      );
      await pglite.close();

      const migrated = await openDatabase({ kind: "pglite", dataDir, backupDir });
      await migrated.close();
      const [backup, ...others] = await readdir(backupDir);
      expect(others).toEqual([]);
      expect(backup).toMatch(/^linli-.*-before-migration\.tar\.gz$/);
      const copy = await PGlite.create(path.join(root, "copy"), { loadDataDir: new Blob([await readFile(path.join(backupDir, backup!))]) });
      const applied = await copy.query<{ count: number }>(`SELECT count(*)::int AS count FROM "_prisma_migrations"`);
      await copy.close();
      expect(applied.rows[0]?.count).toBe(names.length - 1);

      const fresh = await openDatabase({ kind: "pglite", dataDir: path.join(root, "fresh"), backupDir: path.join(root, "fresh-backups") });
      await fresh.close();
      await expect(readdir(path.join(root, "fresh-backups"))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
