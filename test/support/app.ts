import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.ts";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { startLinli } from "../../src/app.ts";
import { createPostgresDatabase } from "./databases.ts";
import { testLogger } from "./logs.ts";
import { SAMPLE_TOWN_FILE } from "./town.ts";

/** A running Linli for an end-to-end test, with a second connection to its database for checking rows. */
export interface TestApp {
  httpUrl: string;
  db: Database;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts the real app as `npm start` would, on a fresh PostgreSQL database and
 * a temporary data folder, with the sample town file after `editTown` and the
 * channel variables in `env`. `stop` shuts it down and removes what it made.
 */
export async function startTestApp(options: { env: Record<string, string>; editTown?: (sample: string) => string }): Promise<TestApp> {
  const dir = await mkdtemp(path.join(tmpdir(), "linli-e2e-"));
  const townFile = path.join(dir, "town.yaml");
  const sample = await readFile(SAMPLE_TOWN_FILE, "utf8");
  await writeFile(townFile, options.editTown ? options.editTown(sample) : sample);
  const url = await createPostgresDatabase();
  const config = loadConfig({ DATA_DIR: dir, DATABASE_URL: url, PORT: "0", TOWN_DATA_FILE: townFile, ...options.env });
  const app = await startLinli(config, { logger: testLogger({ secrets: config.secrets }) });
  const db = await openDatabase({ kind: "postgres", url });
  return {
    httpUrl: app.httpUrl,
    db,
    dir,
    async stop() {
      await app.stop();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
