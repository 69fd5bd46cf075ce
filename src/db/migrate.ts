import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { PROJECT_ROOT } from "../paths.ts";

/** The two calls the migrator needs from a PostgreSQL connection (PGlite or pg). */
export interface SqlConnection {
  /** Runs one or more statements, no parameters (simple query protocol). */
  exec(sql: string): Promise<void>;
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
}

/** Raised when the committed migrations and the database disagree; start-up must stop. */
export class MigrationError extends Error {
  constructor(
    message: string,
    readonly migration: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MigrationError";
  }
}

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, "prisma/migrations");

// Same table and checksum as `prisma migrate deploy`, so the Prisma CLI's view
// (`migrate status`, `migrate diff --from-migrations`) agrees with what ran here.
const HISTORY_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

// Any constant works; it only has to be the same for every Linli instance, so two
// instances starting at once on one server apply each migration once.
const ADVISORY_LOCK_KEY = 7_245_110_301;

/**
 * Applies every committed migration that the database has not run yet, each in
 * its own transaction together with its history row. Runs at every start, on
 * PGlite and on PostgreSQL alike, without the Prisma CLI (which would need a
 * second process and, on PostgreSQL, a patched driver).
 *
 * @returns the names of the migrations applied now
 */
export async function applyMigrations(
  db: SqlConnection,
  options: {
    migrationsDir?: string;
    /** Runs once before the first pending migration of a database that already holds applied ones (a fresh database has nothing to keep). */
    beforeApplying?: (pending: readonly string[]) => Promise<void>;
  } = {},
): Promise<string[]> {
  const migrationsDir = options.migrationsDir ?? MIGRATIONS_DIR;
  const names = (await readdir(migrationsDir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  await db.exec(`SELECT pg_advisory_lock(${ADVISORY_LOCK_KEY})`);
  try {
    await db.exec(HISTORY_TABLE);
    const applied = new Map(
      (
        await db.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
          `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
        )
      ).map((row) => [row.migration_name, row]),
    );
    const pending: { name: string; sql: string; checksum: string }[] = [];
    for (const name of names) {
      const sql = await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8");
      const checksum = createHash("sha256").update(sql).digest("hex");
      const previous = applied.get(name);
      if (!previous) {
        pending.push({ name, sql, checksum });
        continue;
      }
      if (!previous.finished_at) {
        throw new MigrationError(`Migration ${name} started earlier but never finished; repair the database before starting.`, name);
      }
      if (previous.checksum !== checksum) {
        throw new MigrationError(`Migration ${name} was edited after it was applied; add a new migration instead.`, name);
      }
    }
    if (pending.length > 0 && applied.size > 0) await options.beforeApplying?.(pending.map((migration) => migration.name));
    const ran: string[] = [];
    for (const { name, sql, checksum } of pending) {
      try {
        await db.exec(`BEGIN;\n${sql}\n;`);
        await db.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), checksum, name],
        );
        await db.exec("COMMIT");
      } catch (error) {
        await db.exec("ROLLBACK").catch(() => undefined);
        throw new MigrationError(`Migration ${name} failed: ${(error as Error).message}`, name, { cause: error });
      }
      ran.push(name);
    }
    return ran;
  } finally {
    await db.exec(`SELECT pg_advisory_unlock(${ADVISORY_LOCK_KEY})`);
  }
}
