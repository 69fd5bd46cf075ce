import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataDirLockedError, lockDataDir, lockFileOf } from "../../src/db/data-dir-lock.ts";
import { openDatabase } from "../../src/db/database.ts";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "linli-lock-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The pid of a process that has exited, as a crashed holder's would be. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

describe("the embedded database folder's lock", () => {
  it("a second taker is refused with who holds it, and may take it once it is released", async () => {
    const dataDir = path.join(root, "pglite");
    const held = await lockDataDir(dataDir, "npm start");
    const refused = await lockDataDir(dataDir, "npm run import").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).holder).toMatchObject({ pid: process.pid, purpose: "npm start" });
    expect((refused as Error).message).toContain(`delete ${lockFileOf(dataDir)}`);
    await held.release();
    const again = await lockDataDir(dataDir, "npm run import");
    expect(JSON.parse(await readFile(again.file, "utf8"))).toMatchObject({ pid: process.pid, purpose: "npm run import" });
    await again.release();
  });

  it("a lock left by a process that died is taken over; one held by a live process elsewhere is not", async () => {
    const dataDir = path.join(root, "pglite");
    await writeFile(
      lockFileOf(dataDir),
      JSON.stringify({ pid: await deadPid(), host: hostname(), purpose: "npm start", since: "2026-01-01T00:00:00.000Z" }),
    );
    const taken = await lockDataDir(dataDir, "npm start");
    await taken.release();

    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    try {
      await writeFile(
        lockFileOf(dataDir),
        JSON.stringify({ pid: sleeper.pid, host: hostname(), purpose: "npm start", since: "2026-01-01T00:00:00.000Z" }),
      );
      await expect(lockDataDir(dataDir, "npm start")).rejects.toBeInstanceOf(DataDirLockedError);
    } finally {
      sleeper.kill();
    }
  });

  it("opening the folder holds the lock until the database is closed", async () => {
    const target = { kind: "pglite" as const, dataDir: path.join(root, "pglite") };
    const db = await openDatabase(target, { purpose: "npm start" });
    await expect(openDatabase(target, { purpose: "npm run backup" })).rejects.toThrow(/in use by another process \(npm start/);
    await db.close();
    const reopened = await openDatabase(target);
    expect(await reopened.ping()).toBe(true);
    await reopened.close();
  }, 60_000);
});
