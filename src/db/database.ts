import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.ts";
import { lockDataDir, type DataDirLock } from "./data-dir-lock.ts";
import { applyMigrations, type SqlConnection } from "./migrate.ts";
import { pgliteSql, poolSql, type Sql } from "./sql.ts";

/**
 * Where the data lives: an embedded PGlite folder, or a PostgreSQL server.
 * An embedded folder names where copies are kept (`backupDir`, see
 * {@link backupFileName}); "memory://" has none.
 */
export type DatabaseTarget = { kind: "pglite"; dataDir: string; backupDir?: string } | { kind: "postgres"; url: string };

/** An open, migrated database and the way to close it. */
interface OpenDatabase {
  readonly prisma: PrismaClient;
  /** The same database through its driver, for the statements of the per-update hot path (see {@link Sql}). */
  readonly sql: Sql;
  /** Answers true when a trivial query succeeds; used by /healthz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The embedded database, which can also copy itself whole (PostgreSQL has pg_dump for that). */
export interface EmbeddedDatabase extends OpenDatabase {
  readonly kind: "pglite";
  /** A consistent copy of the whole folder as a gzipped tarball, which {@link restoreEmbeddedDatabase} loads back. */
  dump(): Promise<Uint8Array>;
}

export interface ServerDatabase extends OpenDatabase {
  readonly kind: "postgres";
}

export type Database = EmbeddedDatabase | ServerDatabase;

/**
 * Raised when the embedded folder exists but PGlite cannot open it (a crash
 * while two processes wrote to it, a disk error, a copy made while it ran).
 * The message is one paragraph for the operator: what failed, where, and how
 * to restore; the WebAssembly runtime's own error is kept as the cause.
 */
export class EmbeddedDatabaseUnreadableError extends Error {
  constructor(
    readonly dataDir: string,
    readonly backupDir: string | undefined,
    /** The newest backup there, if any: the one to restore unless the operator knows better. */
    readonly latestBackup: string | undefined,
    options: { cause: unknown },
  ) {
    const restore = `npm run restore -- ${latestBackup ?? (backupDir ? path.join(backupDir, "<file>.tar.gz") : "<backup file>")}`;
    super(
      [
        `嵌入式数据库 ${dataDir} 无法打开，可能已损坏（例如曾有两个进程同时写入，或复制时数据库正在运行）。Linli 未作任何修改。`,
        `请用备份恢复：${restore}；原目录会被保留在旁边。`,
        `The embedded database in ${dataDir} cannot be opened and may be damaged (for example two processes wrote to it at once, or it was copied while running). Linli changed nothing.`,
        `Restore a backup with ${restore}${backupDir ? ` (backups are in ${backupDir})` : ""}; the damaged folder is kept beside the restored one.`,
      ].join("\n"),
      options,
    );
    this.name = "EmbeddedDatabaseUnreadableError";
  }
}

/** The newest file {@link backupFileName} named in `dir`, or undefined when there is none (or no such folder). */
async function latestBackupIn(dir: string): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => []);
  const latest = names
    .filter((name) => name.startsWith("linli-") && name.endsWith(".tar.gz"))
    .sort()
    .at(-1);
  return latest && path.join(dir, latest);
}

/** `linli-2026-12-07T18-05-00-000Z-before-migration.tar.gz`: sortable, and says why it was taken. */
export function backupFileName(reason: string, now = new Date()): string {
  return `linli-${now.toISOString().replace(/[:.]/g, "-")}-${reason}.tar.gz`;
}

/**
 * Opens the database named by `target`, applies pending migrations and returns a
 * Prisma client on the matching driver adapter. Both kinds share one schema and
 * one migration history, so everything above this function is the same.
 *
 * An embedded folder is locked for as long as it is open (see
 * {@link lockDataDir}): a second opener gets a DataDirLockedError instead of
 * a second writer; `purpose` (e.g. "npm start") tells it who holds the folder. Before migrations change an existing embedded database, a
 * copy goes into its `backupDir`.
 */
export async function openDatabase(target: DatabaseTarget, options: { purpose?: string } = {}): Promise<Database> {
  if (target.kind === "pglite") return openEmbedded(target, options.purpose ?? "Linli");
  return openServer(target.url);
}

async function openEmbedded(target: Extract<DatabaseTarget, { kind: "pglite" }>, purpose: string): Promise<EmbeddedDatabase> {
  // "memory://" keeps tests and benchmarks off the disk; anything else is a folder.
  const inMemory = target.dataDir.startsWith("memory://");
  const lock: DataDirLock | undefined = inMemory ? undefined : await lockDataDir(target.dataDir, purpose);
  try {
    if (!inMemory) await mkdir(target.dataDir, { recursive: true });
    // Loaded only for the embedded kind: PGlite's WebAssembly build takes memory a deployment
    // on PostgreSQL would never use.
    const [{ PGlite }, { PrismaPGlite }] = await Promise.all([import("@electric-sql/pglite"), import("pglite-prisma-adapter")]);
    const pglite = await PGlite.create(target.dataDir).catch(async (error: unknown) => {
      throw new EmbeddedDatabaseUnreadableError(
        target.dataDir,
        target.backupDir,
        target.backupDir && (await latestBackupIn(target.backupDir)),
        { cause: error },
      );
    });
    const dump = async () => new Uint8Array(await (await pglite.dumpDataDir("gzip")).arrayBuffer());
    const connection: SqlConnection = {
      exec: async (sql) => {
        await pglite.exec(sql);
      },
      query: async <Row>(sql: string, params?: unknown[]) => (await pglite.query<Row>(sql, params)).rows,
    };
    const { backupDir } = target;
    await applyMigrations(connection, {
      beforeApplying: backupDir
        ? async () => {
            await mkdir(backupDir, { recursive: true });
            await writeFile(path.join(backupDir, backupFileName("before-migration")), await dump(), { mode: 0o600 });
          }
        : undefined,
    });
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    return {
      kind: "pglite",
      prisma,
      sql: pgliteSql(pglite),
      dump,
      ping: () => ping(prisma),
      close: async () => {
        await prisma.$disconnect();
        await pglite.close();
        await lock?.release();
      },
    };
  } catch (error) {
    await lock?.release();
    throw error;
  }
}

/** Raised when a backup file cannot be loaded; the folder that was there before is back in place. */
export class RestoreError extends Error {
  constructor(
    readonly file: string,
    options: { cause: unknown },
  ) {
    super(
      `${file} 不是可用的 Linli 备份，数据目录未改动 / ${file} is not a usable Linli backup; the data folder was left as it was`,
      options,
    );
    this.name = "RestoreError";
  }
}

/**
 * Replaces the embedded database folder with the backup in `file` (made by
 * {@link EmbeddedDatabase.dump}). The folder is locked throughout, so this
 * refuses while Linli runs on it. The folder it replaces is renamed, not
 * deleted, and comes back if the backup does not open as a Linli database.
 *
 * @returns where the replaced folder now is, if there was one
 */
export async function restoreEmbeddedDatabase(dataDir: string, file: string): Promise<{ replacedDir: string | undefined }> {
  const tarball = await readFile(file);
  const lock = await lockDataDir(dataDir, "npm run restore");
  try {
    const existed = await stat(dataDir).then(
      () => true,
      () => false,
    );
    const replacedDir = existed ? `${dataDir}.replaced-${new Date().toISOString().replace(/[:.]/g, "-")}` : undefined;
    if (replacedDir) await rename(dataDir, replacedDir);
    try {
      const { PGlite } = await import("@electric-sql/pglite");
      const pglite = await PGlite.create(dataDir, { loadDataDir: new Blob([tarball]) });
      try {
        await pglite.query(`SELECT count(*) FROM "_prisma_migrations"`);
      } finally {
        await pglite.close();
      }
    } catch (error) {
      await rm(dataDir, { recursive: true, force: true });
      if (replacedDir) await rename(replacedDir, dataDir);
      throw new RestoreError(file, { cause: error });
    }
    return { replacedDir };
  } finally {
    await lock.release();
  }
}

async function openServer(url: string): Promise<ServerDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
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
