import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { MIGRATIONS_DIR } from "../db/migrate.ts";

const run = promisify(execFile);

/**
 * `npm run db:migration -- <name>`: writes the SQL that takes the committed
 * migrations to prisma/schema.prisma as a new migration folder. It asks
 * `prisma migrate diff` (in-memory PGlite, see prisma.config.ts) because
 * `migrate dev` cannot use a driver adapter's shadow database.
 */
async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    process.stderr.write("usage: npm run db:migration -- <name in snake_case>\n");
    process.exit(2);
  }
  const sql = await schemaDrift();
  if (sql.trim() === "" || !/\b(CREATE|ALTER|DROP)\b/.test(sql)) {
    process.stdout.write("The schema matches the committed migrations; nothing to write.\n");
    return;
  }
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const folder = path.join(MIGRATIONS_DIR, `${stamp}_${name}`);
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, "migration.sql"), sql);
  process.stdout.write(`Wrote ${path.relative(process.cwd(), folder)}/migration.sql; review it and commit it with the schema change.\n`);
}

/** The SQL from the committed migrations to the schema file; empty when they agree. */
export async function schemaDrift(): Promise<string> {
  const { stdout } = await run(
    "npx",
    ["prisma", "migrate", "diff", "--from-migrations", MIGRATIONS_DIR, "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
    { cwd: path.resolve(MIGRATIONS_DIR, "../.."), maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout.replace(/^Loaded Prisma config.*\n/m, "").replace(/^-- This is an empty migration.*$/m, "");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
