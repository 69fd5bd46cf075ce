import { ConfigError, loadConfig, type Config } from "../config.ts";
import { DataDirLockedError } from "../db/data-dir-lock.ts";
import { EmbeddedDatabaseUnreadableError, openDatabase } from "../db/database.ts";
import { deepLinks } from "../flows/kit/flow.ts";
import { TownDataError } from "../towndata/town-file.ts";
import { runAdminCommand, type AdminCommand, type AdminOutcome } from "./commands.ts";
import { sendAdminCommand } from "./socket.ts";

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** The database as an operator recognises it: the folder, or the server URL without its password. */
export function describeDatabase(config: Config): string {
  if (config.database.kind === "pglite") return `嵌入式数据库 embedded database ${config.database.dataDir}`;
  const url = new URL(config.database.url);
  url.password = "";
  url.search = "";
  return `PostgreSQL ${url.toString()}`;
}

/**
 * Runs an operator's command from `npm run …` and returns the exit code: on
 * the embedded database it goes to the Linli running there if one answers,
 * otherwise this process opens the database itself, holding the folder's lock.
 * Either way the output names where it ran. The command is made only once
 * the configuration is known to be good, so a bad variable is reported before
 * any file is read. `purpose` (e.g. "npm run import") is what a `npm start`
 * started meanwhile is told holds the folder.
 */
export async function runFromCommandLine(makeCommand: () => AdminCommand | Promise<AdminCommand>, purpose: string): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      err(error.message);
      return 1;
    }
    throw error;
  }
  try {
    const command = await makeCommand();
    const remote = config.adminSocket ? await sendAdminCommand(config.adminSocket, command) : undefined;
    const outcome = remote ?? (await runHere(command, purpose, config));
    for (const line of outcome.out) out(line);
    for (const line of outcome.err) err(line);
    out(
      remote
        ? `已由正在运行的 Linli 执行 / carried out by the running Linli (${describeDatabase(config)})`
        : `数据库 database: ${describeDatabase(config)}`,
    );
    return outcome.exitCode;
  } catch (error) {
    if (error instanceof DataDirLockedError || error instanceof EmbeddedDatabaseUnreadableError || error instanceof TownDataError) {
      err(error.message);
      return 1;
    }
    err(
      `未能完成 ${purpose}，未作任何修改 / ${purpose} failed; nothing was changed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
}

async function runHere(command: AdminCommand, purpose: string, config: Config): Promise<AdminOutcome> {
  const db = await openDatabase(config.database, { purpose });
  try {
    // The address Linli answers on is what the configuration says, unless it lets the kernel pick a port.
    const configured = config.http.publicUrl ?? (config.http.port === 0 ? undefined : `http://${config.http.host}:${config.http.port}`);
    const webChatUrl = configured?.replace(/\/?$/, "/");
    const links = deepLinks({
      webChatUrl: () => webChatUrl,
      telegramUsername: () => (config.telegram ? "<机器人用户名 bot username>" : undefined),
    });
    return await runAdminCommand(command, {
      db,
      townCode: config.town.code,
      timeZone: config.workingTime.timeZone,
      links,
      backupDir: config.database.kind === "pglite" ? config.database.backupDir : undefined,
    });
  } finally {
    await db.close();
  }
}
