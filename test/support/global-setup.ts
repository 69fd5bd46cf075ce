import { execFile } from "node:child_process";
import { mkdtemp, rm, chown } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startRedisServer } from "./redis-server.ts";

const run = promisify(execFile);

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin URL of the throwaway PostgreSQL cluster; tests create their own database in it. */
    postgresUrl: string;
    /** URL of the throwaway redis-server; tests use their own key prefix or database number. */
    redisUrl: string;
  }
}

/** Asks the kernel for a port nobody listens on. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

// initdb refuses to run as root, so the cluster belongs to the postgres user then.
const asRoot = userInfo().uid === 0;
function asClusterOwner(command: string, args: string[]): [string, string[]] {
  return asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

/**
 * Starts a throwaway PostgreSQL cluster in a temp folder on a free port;
 * `stop` removes it. `socketUrl` reaches the same cluster through its Unix
 * socket. Tests run it without flushing to disk (fsync, synchronous commit and
 * full-page writes off), which a crash may cost data and tests do not care
 * about; `durable` keeps PostgreSQL's defaults, as a production server runs,
 * for the benchmark, whose figures must hold where committed means kept.
 */
export async function startPostgres(
  options: { durable?: boolean } = {},
): Promise<{ url: string; socketUrl: string; stop: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "linli-pg-"));
  if (asRoot) await chown(dir, Number((await run("id", ["-u", "postgres"])).stdout), Number((await run("id", ["-g", "postgres"])).stdout));
  const dataDir = path.join(dir, "data");
  const port = await freePort();
  await run(...asClusterOwner("initdb", ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]));
  await run(
    ...asClusterOwner("pg_ctl", [
      "-D",
      dataDir,
      "-l",
      path.join(dir, "log"),
      "-w",
      "start",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=300${options.durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"}`,
    ]),
  );
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    socketUrl: `postgresql:///postgres?host=${encodeURIComponent(dir)}&port=${port}&user=postgres`,
    stop: async () => {
      await run(...asClusterOwner("pg_ctl", ["-D", dataDir, "-m", "immediate", "stop"])).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an empty database named `name` in the cluster at `adminUrl` and returns its URL; tests and the benchmark each get their own. */
export async function createDatabaseIn(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Starts one PostgreSQL cluster and one redis-server for the whole run. */
export default async function setup(project: TestProject) {
  const [postgres, redis] = await Promise.all([startPostgres(), freePort().then(startRedisServer)]);
  project.provide("postgresUrl", postgres.url);
  project.provide("redisUrl", redis.url);
  return async () => {
    await Promise.all([postgres.stop(), redis.kill()]);
  };
}
