import { ConfigError, loadConfig } from "../config.ts";
import { DataDirLockedError } from "../db/data-dir-lock.ts";
import { restoreEmbeddedDatabase, RestoreError } from "../db/database.ts";

/*
 * `npm run restore -- <file>`: replaces the embedded database with a backup
 * made by `npm run backup` or before a migration. Linli must be stopped: the
 * folder's lock refuses while it runs. The replaced folder is kept beside the
 * new one. Exit codes: 0 restored, 1 refused or failed, 2 usage.
 */

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(args: readonly string[]): Promise<number> {
  const file = args[0];
  if (file === undefined || args.length > 1) {
    err("用法 / usage: npm run restore -- <backup.tar.gz>");
    return 2;
  }
  try {
    const config = loadConfig();
    if (config.database.kind !== "pglite") {
      err("服务器模式请用 pg_restore 或 psql 恢复（见 README）/ on PostgreSQL, restore with pg_restore or psql (see the README)");
      return 1;
    }
    const { replacedDir } = await restoreEmbeddedDatabase(config.database.dataDir, file);
    out(`已从 ${file} 恢复 / restored from ${file} into ${config.database.dataDir}`);
    if (replacedDir) out(`原来的数据目录保留在 the folder it replaced is kept at: ${replacedDir}`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof DataDirLockedError || error instanceof RestoreError) {
      err(error.message);
      return 1;
    }
    err(`未能恢复 / could not restore: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
