import { chmod, mkdir, rm } from "node:fs/promises";
import { request } from "node:http";
import path from "node:path";
import { jsonError, startHttpServer, type MountedRoute, type RunningHttpServer } from "../bot/http/server.ts";
import type { Logger } from "../log.ts";
import { adminCommandSchema, runAdminCommand, type AdminCommand, type AdminContext, type AdminOutcome } from "./commands.ts";

/*
 * The admin endpoint of a Linli running on the embedded database: HTTP on a
 * Unix socket inside the data folder, in a directory only the owner may enter
 * (mode 0700), so reaching it takes the same file access as opening the
 * database itself and no token is needed. TCP is never involved.
 */

const ADMIN_PATH = "/admin";
/** A town file travels in the request; the sample is tens of kilobytes, a large town a few megabytes. */
const MAX_COMMAND_BYTES = 32 * 1024 * 1024;
/** An import of a large town or a backup of a large database takes a while; nothing waits forever. */
const COMMAND_TIMEOUT_MS = 10 * 60_000;

/**
 * Listens on `socketPath` and runs every command it receives on `context`.
 * A socket file left by a crashed process is removed first: whoever calls
 * this holds the data folder's lock, so no live process owns it.
 */
export async function startAdminServer(socketPath: string, context: AdminContext, logger: Logger): Promise<RunningHttpServer> {
  const dir = path.dirname(socketPath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await rm(socketPath, { force: true });
  const route: MountedRoute = {
    method: "POST",
    path: ADMIN_PATH,
    maxBodyBytes: MAX_COMMAND_BYTES,
    async handle(req) {
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString("utf8"));
      } catch {
        body = undefined;
      }
      const command = adminCommandSchema.safeParse(body);
      if (!command.success) {
        return jsonError(400, "bad_command", { zh: "无法识别的管理命令。", en: "This admin command is not understood." });
      }
      logger.info("admin command", { command: command.data.command });
      const outcome = await runAdminCommand(command.data, context);
      return { status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(outcome) };
    },
  };
  return startHttpServer({ socketPath, routes: [route], logger });
}

/**
 * Sends `command` to the Linli listening on `socketPath`. Resolves undefined
 * when none listens there (no socket, or one left by a process that is gone),
 * so the caller may open the database itself; any other failure is thrown.
 */
export function sendAdminCommand(socketPath: string, command: AdminCommand): Promise<AdminOutcome | undefined> {
  const body = JSON.stringify(command);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: ADMIN_PATH,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: COMMAND_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200) {
            reject(new Error(`the running Linli answered ${res.statusCode}: ${text.slice(0, 500)}`));
            return;
          }
          resolve(JSON.parse(text) as AdminOutcome);
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`the running Linli did not answer within ${COMMAND_TIMEOUT_MS / 60_000} minutes`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ECONNREFUSED") resolve(undefined);
      else reject(error);
    });
    req.end(body);
  });
}
