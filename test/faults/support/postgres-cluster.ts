import { execFile } from "node:child_process";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "../../support/global-setup.ts";

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of one fault test alone, so the test may take it down
 * (`pg_ctl stop -m immediate`, as a crash or a pulled cable would) and bring it
 * back on the same data folder and port while the app keeps running.
 */
export interface PostgresCluster {
  /** URL of the `linli` database in this cluster. */
  readonly url: string;
  /** Stops the server at once: open connections die without a goodbye, no checkpoint is written. */
  crash(): Promise<void>;
  /** Starts the server again on the same data folder and port; resolves when it accepts connections. */
  restart(): Promise<void>;
  /** Runs one query on a fresh connection (for counting rows from outside the app). */
  query<Row extends object>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

// initdb refuses to run as root, so the cluster belongs to the postgres user then.
const asRoot = userInfo().uid === 0;
const asOwner = (command: string, args: string[]): [string, string[]] =>
  asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];

/** Creates and starts a throwaway cluster on a free port with an empty `linli` database. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), "linli-fault-pg-"));
  if (asRoot) await chown(dir, Number((await run("id", ["-u", "postgres"])).stdout), Number((await run("id", ["-g", "postgres"])).stdout));
  const dataDir = path.join(dir, "data");
  const port = await freePort();
  await run(...asOwner("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]));
  // synchronous_commit stays on: the cluster is crashed on purpose, and a commit
  // acknowledged before its WAL was written would vanish and look like lost data.
  const start = () =>
    run(
      ...asOwner("pg_ctl", [
        "-D",
        dataDir,
        "-l",
        path.join(dir, "log"),
        "-w",
        "start",
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      ]),
    );
  const stop = () => run(...asOwner("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]));
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/linli`;
  const query = <Row extends object>(sql: string, params: unknown[] = [], database = "linli") =>
    queryDatabase<Row>(url.replace(/\/linli$/, `/${database}`), sql, params);
  await query("CREATE DATABASE linli", [], "postgres");
  return {
    url,
    crash: async () => {
      await stop();
    },
    restart: async () => {
      await start();
    },
    query: (sql, params) => query(sql, params),
    destroy: async () => {
      await stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs one query on a fresh connection to `databaseUrl`, for counting rows from outside the app. */
export async function queryDatabase<Row extends object>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Row[];
  } finally {
    await client.end();
  }
}
