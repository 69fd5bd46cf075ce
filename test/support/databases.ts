import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { createDatabaseIn } from "./global-setup.ts";

/** Which real databases a domain test runs against: both kinds, always. */
export const DATABASE_KINDS = ["pglite", "postgres"] as const;

/**
 * Opens a fresh, migrated database of the given kind: an in-memory PGlite, or a
 * new database in the test run's PostgreSQL cluster (so test files never share rows).
 */
export async function freshDatabase(kind: (typeof DATABASE_KINDS)[number]): Promise<Database> {
  if (kind === "pglite") return openDatabase({ kind: "pglite", dataDir: "memory://" });
  return openDatabase({ kind: "postgres", url: await createPostgresDatabase() });
}

/** Creates an empty database in the test run's PostgreSQL cluster and returns its URL. */
export async function createPostgresDatabase(): Promise<string> {
  return createDatabaseIn(inject("postgresUrl"), `linli_${randomBytes(6).toString("hex")}`);
}

/**
 * A pool on `url` whose connections hand the text of every statement they send
 * to `record`, before it goes out: what PostgreSQL receives, Prisma's and the
 * driver's statements alike, so tests can count them.
 */
export function statementRecordingPool(url: string, record: (statement: string) => void): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const config = args[0];
      record(typeof config === "string" ? config : (config as { text: string }).text);
      return query(...args);
    };
  });
  return pool;
}
