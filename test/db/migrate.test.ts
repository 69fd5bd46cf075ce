import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
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
