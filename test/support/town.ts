import path from "node:path";
import type { Database } from "../../src/db/database.ts";
import { GridDirectory } from "../../src/domain/grid/directory.ts";
import { importTownData } from "../../src/domain/grid/import.ts";
import { readTownFile } from "../../src/towndata/town-file.ts";
import { freshDatabase } from "./databases.ts";

/** The sample town shipped in data/, the one `npm start` loads. */
export const SAMPLE_TOWN_FILE = path.resolve(import.meta.dirname, "../../data/wujing.sample.yaml");

/** A fresh in-memory PGlite with the sample town imported, and its directory. */
export async function openSampleTown(): Promise<{ db: Database; grid: GridDirectory }> {
  const db = await freshDatabase("pglite");
  const file = await readTownFile(SAMPLE_TOWN_FILE);
  await importTownData(db.prisma, file.data, file.hash);
  return { db, grid: await GridDirectory.open(db.prisma, file.data.town.code) };
}
