import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createPostgresDatabase } from "./support/databases.ts";
import { workerPids } from "./support/processes.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const READY = /is running: open (http:\/\/\S+) to chat\. (\d+) processes share the port\./;

interface Started {
  child: ChildProcess;
  url: string;
  /** Every line the processes wrote to stderr so far (JSON log lines). */
  logLines(): Record<string, unknown>[];
  /** What the processes wrote to stdout so far: the lines for the operator. */
  stdout(): string;
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

/** `npm start` with WORKERS=2 on a database and Redis of its own; resolves once the primary says all workers listen. */
async function startTwoWorkers(): Promise<Started> {
  const env = {
    ...process.env,
    DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-workers-")),
    DATABASE_URL: await createPostgresDatabase(),
    REDIS_URL: inject("redisUrl"),
    PORT: "0",
    WORKERS: "2",
    LOG_LEVEL: "debug",
  };
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let stdout = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      const ready = READY.exec(stdout);
      if (ready?.[1]) {
        expect(ready[2]).toBe("2");
        resolve(ready[1]);
      }
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before it was running:\n${stderr.slice(-2000)}`)));
  });
  const logLines = () =>
    stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, url, logLines, stdout: () => stdout };
}

/** One web-chat message on a connection of its own, so the kernel hands each to whichever worker accepts it. */
function say(url: string, clientId: string, text: string): Promise<string> {
  const body = JSON.stringify({ clientId, messageId: randomUUID(), message: { type: "text", text } });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/chat`,
      { method: "POST", agent: false, headers: { "content-type": "application/json", connection: "close" } },
      (res) => {
        let data = "";
        res.on("data", (chunk: Buffer) => (data += chunk.toString("utf8")));
        res.on("end", () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${data}`));
          else resolve((JSON.parse(data) as { replies: { text?: string }[] }).replies.map((reply) => reply.text ?? "").join("\n"));
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe("WORKERS: several Linli processes on one port", () => {
  it("two workers both answer on the one port, and a conversation goes on whichever of them answers", async () => {
    const app = await startTwoWorkers();
    expect(await workerPids(app.child.pid!)).toHaveLength(2);
    const clientId = `client-${randomUUID().slice(0, 8)}`;
    expect(await say(app.url, clientId, "/lang en")).toContain("Language set to English.");
    for (let i = 0; i < 12; i++)
      expect(await say(app.url, clientId, "紫竹半岛")).toContain("Zizhu Peninsula Neighbourhood belongs to【District 4】");
    const servedBy = new Set(
      app
        .logLines()
        .filter((line) => line.message === "http request" && line.path === "/api/chat")
        .map((line) => line.worker),
    );
    expect(servedBy.size).toBe(2);
    // The empty database was migrated and given its town data once, by the first worker alone.
    expect(app.logLines().filter((line) => line.message === "loaded town data into an empty database")).toHaveLength(1);
  });

  it("a worker killed with SIGKILL is replaced while the other keeps answering, and SIGTERM stops them all", async () => {
    const app = await startTwoWorkers();
    const primary = app.child.pid!;
    const [victim, survivor] = await workerPids(primary);
    process.kill(victim!, "SIGKILL");
    // The workers accept from the shared socket themselves, so the survivor takes every connection; test/faults/worker-kill.fault.ts sends them in the instant after the kill.
    await until("the primary to notice", async () =>
      app.logLines().some((line) => line.message === "a Linli worker stopped; restarting it" && line.signal === "SIGKILL")
        ? true
        : undefined,
    );
    const clientId = `client-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 4; i++) expect(await say(app.url, clientId, "永德路12号")).toContain("永德路12号 属于【第二片区】");
    const replaced = await until("a replacement worker", async () => {
      const pids = await workerPids(primary);
      return pids.length === 2 && !pids.includes(victim!) ? pids : undefined;
    });
    expect(replaced).toContain(survivor);
    await until("the replacement to listen", async () =>
      app.logLines().filter((line) => line.message === "http server listening").length >= 3 ? true : undefined,
    );
    expect(await say(app.url, clientId, "紫竹半岛")).toContain("第四片区");

    const exited = new Promise<number | null>((resolve) => app.child.once("close", (code) => resolve(code)));
    app.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    // Said once, by the primary, not once per worker.
    expect(app.stdout().match(/is stopping \(SIGTERM\)|has stopped\./g)).toEqual(["is stopping (SIGTERM)", "has stopped."]);
    for (const pid of replaced) expect(() => process.kill(pid, 0)).toThrow();
  });
});
