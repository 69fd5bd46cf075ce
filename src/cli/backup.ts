import { runFromCommandLine } from "../admin/command-line.ts";

/*
 * `npm run backup`: copies the embedded database whole into DATA_DIR/backups
 * (while Linli runs, the running process takes the copy). On PostgreSQL it
 * points to pg_dump instead. Exit codes: 0 backed up, 1 refused or failed, 2 usage.
 */

if (process.argv.length > 2) {
  process.stderr.write("用法 / usage: npm run backup\n");
  process.exitCode = 2;
} else {
  process.exitCode = await runFromCommandLine(() => ({ command: "backup" }), "npm run backup");
}
