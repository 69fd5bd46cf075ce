import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createMediaStore, type MediaStore } from "../../src/bot/media/store.ts";
import type { Database } from "../../src/db/database.ts";
import { createLogger, type Logger } from "../../src/log.ts";
import { freshDatabase, type DATABASE_KINDS } from "./databases.ts";
import { loadConfig } from "../../src/config.ts";

/** A media store on a fresh database and an empty temporary folder, plus what it logged. */
export interface MediaFixture {
  db: Database;
  root: string;
  store: MediaStore;
  logger: Logger;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /** Paths of every file under the root, relative to it, sorted. */
  files(): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens a {@link MediaFixture}; close it after the test. */
export async function openMediaFixture(options: { kind?: (typeof DATABASE_KINDS)[number]; maxBytes: number }): Promise<MediaFixture> {
  const db = await freshDatabase(options.kind ?? "pglite");
  const root = await mkdtemp(path.join(tmpdir(), "linli-media-"));
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "debug", sink: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  return {
    db,
    root,
    store: createMediaStore({ root, sql: db.sql, maxBytes: options.maxBytes, limits: loadConfig({}).media.limits, logger }),
    logger,
    logs,
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
