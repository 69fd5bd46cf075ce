import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPostgresDatabase } from "../support/databases.ts";
import { workerPids } from "../support/processes.ts";
import { SAMPLE_TOWN_FILE } from "../support/town.ts";
import { eventually } from "./support/app.ts";
import { startAppProcess, type AppProcess } from "./support/app-process.ts";

/** How long a request may take, from being sent to being answered or refused. */
const ANSWER_BOUND_MS = 5_000;
const REQUESTS = 12;

/** The outcome of one web-chat message on a connection of its own: answered (with its status) or refused (the connection closed), or neither within the bound. */
function sendAlone(url: string): Promise<{ outcome: "answered"; status: number } | { outcome: "closed" | "held" }> {
  const body = JSON.stringify({
    clientId: `kill-${randomUUID().slice(0, 8)}`,
    messageId: randomUUID(),
    message: { type: "text", text: "紫竹半岛" },
  });
  return new Promise((resolve) => {
    const req = request(
      `${url}/api/chat`,
      { method: "POST", agent: false, headers: { "content-type": "application/json", connection: "close" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ outcome: "answered", status: res.statusCode ?? 0 }));
        res.on("error", () => resolve({ outcome: "closed" }));
      },
    );
    req.setTimeout(ANSWER_BOUND_MS, () => {
      resolve({ outcome: "held" });
      req.destroy();
    });
    req.on("error", () => resolve({ outcome: "closed" }));
    req.end(body);
  });
}

describe("a worker of WORKERS=2 killed with SIGKILL", () => {
  let app: AppProcess | undefined;
  beforeAll(async () => {
    app = await startAppProcess("worker-kill", {
      DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-fault-workers-")),
      DATABASE_URL: await createPostgresDatabase(),
      REDIS_URL: inject("redisUrl"),
      TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
      PORT: "0",
      WORKERS: "2",
      LOG_LEVEL: "debug",
    });
  });
  afterAll(async () => {
    await app?.kill();
  });

  it(
    "leaves no request unanswered: requests sent in the instant after the kill are answered by the other worker, none is held by the primary",
    { timeout: 60_000 },
    async () => {
      const primary = app!.pid;
      const [victim] = await eventually("two workers", async () => {
        const pids = await workerPids(primary);
        return pids.length === 2 ? pids : undefined;
      });
      // Both workers take connections before the kill, so the primary has handed some to the victim lately.
      const before = await Promise.all(Array.from({ length: 4 }, () => sendAlone(app!.httpUrl)));
      expect(before).toEqual(before.map(() => ({ outcome: "answered", status: 200 })));

      process.kill(victim!, "SIGKILL");
      const after = await Promise.all(Array.from({ length: REQUESTS }, () => sendAlone(app!.httpUrl)));
      expect(after).toEqual(after.map(() => ({ outcome: "answered", status: 200 })));
    },
  );
});
