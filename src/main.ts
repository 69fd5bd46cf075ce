import cluster from "node:cluster";
import { pathToFileURL } from "node:url";
import { startLinli } from "./app.ts";
import { TelegramStartError } from "./bot/channels/telegram/channel.ts";
import { announceReady, startWorkers, WorkerStartError } from "./cluster.ts";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { DataDirLockedError } from "./db/data-dir-lock.ts";
import { EmbeddedDatabaseUnreadableError } from "./db/database.ts";
import { createLogger, type Logger } from "./log.ts";
import { TownDataError } from "./towndata/town-file.ts";

/*
 * The process entry of `npm start`: configuration, then one Linli (src/app.ts)
 * or, with WORKERS > 1, the primary that runs several; signals and exit codes.
 * Kept apart from the composition root so tests, the benchmark and bundles can
 * import startLinli without starting a bot.
 */

/** Start-up failures whose message is for the operator as it is: printed without a stack, exit code 1. */
const isOperatorError = (error: unknown) =>
  error instanceof ConfigError ||
  error instanceof TownDataError ||
  error instanceof TelegramStartError ||
  error instanceof WorkerStartError ||
  error instanceof DataDirLockedError ||
  error instanceof EmbeddedDatabaseUnreadableError;

/**
 * Stops on the first SIGINT or SIGTERM, saying so as the start did (workers
 * leave that to their primary), then exits 0 when stopping went well and 1,
 * with the reason logged, when it did not.
 */
function stopOnSignal(stop: () => Promise<void>, logger: Logger): void {
  const say = (line: string) => cluster.isWorker || process.stdout.write(`${line}\n`);
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      say(`Linli (邻里) is stopping (${signal}): finishing the updates in hand.`);
      stop().then(
        () => {
          say("Linli (邻里) has stopped.");
          process.exit(0);
        },
        (error: unknown) => {
          logger.error("Linli did not stop cleanly", { error });
          process.exit(1);
        },
      );
    });
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, secrets: config.secrets });
  try {
    if (config.workers > 1 && cluster.isPrimary) {
      const pool = await startWorkers({ count: config.workers, logger });
      process.stdout.write(`Linli (邻里) is running: open ${pool.url} to chat. ${config.workers} processes share the port.\n`);
      stopOnSignal(() => pool.stop(), logger);
      return;
    }
    const running = await startLinli(config);
    if (cluster.isWorker) announceReady(running.httpUrl);
    else process.stdout.write(`Linli (邻里) is running: open ${running.httpUrl} to chat.\n`);
    for (const line of running.notices) process.stdout.write(`${line}\n`);
    stopOnSignal(() => running.stop(), logger);
  } catch (error) {
    if (isOperatorError(error)) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
