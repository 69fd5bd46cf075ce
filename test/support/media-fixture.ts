import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createMediaStore, type MediaStore } from "../../src/bot/media/store.ts";
import type { Database } from "../../src/db/database.ts";
import type { Logger } from "../../src/log.ts";
import { freshDatabase, type DATABASE_KINDS } from "./databases.ts";
import { loadConfig } from "../../src/config.ts";
import { loggedLines, testLogger, type LoggedLine } from "./logs.ts";

/** A media store on a fresh database and an empty temporary folder, plus what it logged. */
export interface MediaFixture {
  db: Database;
  root: string;
  store: MediaStore;
  logger: Logger;
  /** Every line logged during the running test so far, parsed (see {@link loggedLines}). */
  readonly logs: readonly LoggedLine[];
  /** Paths of every file under the root, relative to it, sorted. */
  files(): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens a {@link MediaFixture}; close it after the test. */
export async function openMediaFixture(options: { kind?: (typeof DATABASE_KINDS)[number]; maxBytes: number }): Promise<MediaFixture> {
  const db = await freshDatabase(options.kind ?? "pglite");
  const root = await mkdtemp(path.join(tmpdir(), "linli-media-"));
  const logger = testLogger();
  return {
    db,
    root,
    store: createMediaStore({ root, sql: db.sql, maxBytes: options.maxBytes, limits: loadConfig({}).media.limits, logger }),
    logger,
    get logs() {
      return loggedLines();
    },
    files: async () =>
      (await readdir(root, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
        .sort(),
    close: async () => {
      await db.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
