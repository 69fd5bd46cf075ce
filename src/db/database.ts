import { mkdir } from "node:fs/promises";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { applyMigrations, type SqlConnection } from "./migrate.ts";
import { pgliteSql, poolSql, type Sql } from "./sql.ts";

/** Where the data lives: an embedded PGlite folder, or a PostgreSQL server. */
export type DatabaseTarget = { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string };

/** An open, migrated database and the way to close it. */
export interface Database {
  readonly kind: DatabaseTarget["kind"];
  readonly prisma: PrismaClient;
  /** The same database through its driver, for the statements of the per-update hot path (see {@link Sql}). */
  readonly sql: Sql;
  /** Answers true when a trivial query succeeds; used by /healthz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens the database named by `target`, applies pending migrations and returns a
 * Prisma client on the matching driver adapter. Both kinds share one schema and
 * one migration history, so everything above this function is the same.
 */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === "pglite") {
    // "memory://" keeps tests and benchmarks off the disk; anything else is a folder.
    if (!target.dataDir.startsWith("memory://")) await mkdir(target.dataDir, { recursive: true });
    // Loaded only for the embedded kind: PGlite's WebAssembly build adds about 30 MB to the
    // process, which a deployment on PostgreSQL never uses (measured with npm run bench).
    const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import("@electric-sql/pglite"), import("pglite-prisma-adapter")]);
    const pglite = await PGlite.create(target.dataDir);
    const connection: SqlConnection = {
      exec: async (sql) => {
        await pglite.exec(sql);
      },
      query: async <Row>(sql: string, params?: unknown[]) => (await pglite.query<Row>(sql, params)).rows,
    };
    await applyMigrations(connection);
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    return {
      kind: "pglite",
      prisma,
      sql: pgliteSql(pglite),
      ping: () => ping(prisma),
      close: async () => {
        await prisma.$disconnect();
        await pglite.close();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: target.url, max: 10 });
  releaseDeadConnections(pool);
  oneQueryAtATime(pool);
  const client = await pool.connect();
  try {
    await applyMigrations({
      exec: async (sql) => {
        await client.query(sql);
      },
      query: async <Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as Row[],
    });
  } finally {
    client.release();
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: "postgres",
    prisma,
    sql: poolSql(pool),
    ping: () => ping(prisma),
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/**
 * A connection that dies while it is checked out (the server went down in the
 * middle of a transaction) is never handed back by Prisma's pg adapter: its
 * ROLLBACK fails, so it never releases the client. The pool would count it
 * forever, losing a slot per outage, and `pool.end()` would wait for it, so
 * the app could not stop. Such a connection is handed back here with an error,
 * which makes the pool drop it; a late release by its borrower does nothing.
 */
function releaseDeadConnections(pool: pg.Pool): void {
  const checkedOut = new WeakSet<pg.PoolClient>();
  pool.on("acquire", (client) => checkedOut.add(client));
  pool.on("release", (_error, client) => checkedOut.delete(client));
  pool.on("connect", (client) => {
    client.once("end", () => {
      if (!checkedOut.has(client)) return;
      const release = client.release;
      let released = false;
      client.release = (error) => {
        if (released) return;
        released = true;
        release(error);
      };
      client.release(new Error("the connection ended while it was checked out"));
    });
  });
}

type Callback = (error: Error | null, result?: unknown) => void;

/**
 * Makes the statements sent on one connection wait for each other. Prisma's
 * query interpreter sends the queries of a read's relations all at once, and
 * in a transaction they all go to the transaction's one connection: pg then
 * queues them itself, but warns that this is deprecated, and pg 9 refuses it.
 * Both ways of calling `query` (a promise, or a callback as the pool's own
 * `query` uses) are queued; a submittable (a cursor, a stream) manages its own
 * flow and goes straight through.
 */
function oneQueryAtATime(pool: pg.Pool): void {
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    let previous: Promise<unknown> = Promise.resolve();
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (typeof (args[0] as { submit?: unknown } | null)?.submit === "function") return query(...args);
      const callback = typeof args.at(-1) === "function" ? (args.pop() as Callback) : undefined;
      const result = previous.then(() => query(...args) as Promise<unknown>);
      previous = result.catch(() => undefined);
      if (!callback) return result;
      // Called outside the promise chain, so an exception in it is thrown as pg would throw it, not swallowed.
      result.then(
        (value) => process.nextTick(callback, null, value),
        (error: Error) => process.nextTick(callback, error),
      );
      return undefined;
    };
  });
}

async function ping(prisma: PrismaClient): Promise<boolean> {
  try {
    await prisma.$queryRaw`SELECT 1`;
    return true;
  } catch {
    return false;
  }
}
