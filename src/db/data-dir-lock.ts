import { hostname } from "node:os";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * The embedded database is a folder PGlite rewrites in place: two processes
 * opening it at once each believe they own it, and the second one's writes
 * are lost or the folder no longer opens. Every process that opens the folder
 * (the bot, the admin commands, a restore) holds this lock while it does.
 *
 * The lock is a file beside the folder, made atomically with `link`, naming
 * the process that holds it. A lock whose process is gone (a crash, a power
 * cut) is stale and taken over; one whose process lives on this machine is
 * respected.
 */

/** Who holds the lock, as written in the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  /** What the holder is, e.g. "npm start" or "npm run import". */
  purpose: string;
  since: string;
}

/** Raised when another live process holds the folder; the message says which, and what to do. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    super(
      [
        `数据目录 ${dataDir} 正被另一个进程使用（${holder.purpose}，进程号 ${holder.pid}，始于 ${holder.since}），为免两个进程同时写入而损坏数据，本次未打开它。`,
        `The data folder ${dataDir} is in use by another process (${holder.purpose}, pid ${holder.pid} on ${holder.host}, since ${holder.since}); it was not opened, because two writers would corrupt it.`,
        `Stop that process first. If you are sure none runs, delete ${lockFile}.`,
      ].join("\n"),
    );
    this.name = "DataDirLockedError";
  }
}

/** A held lock; `release` removes the lock file once. */
export interface DataDirLock {
  readonly file: string;
  release(): Promise<void>;
}

/** The lock file of an embedded database folder. */
export const lockFileOf = (dataDir: string) => `${dataDir}.lock`;

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, "utf8")) as Partial<LockHolder>;
    if (typeof holder.pid === "number" && typeof holder.host === "string") {
      return { pid: holder.pid, host: holder.host, purpose: String(holder.purpose ?? "unknown"), since: String(holder.since ?? "unknown") };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  }
  // Unreadable or half-written: treated as held by nobody alive.
  return { pid: 0, host: hostname(), purpose: "unknown", since: "unknown" };
}

/**
 * Takes the lock of `dataDir` for this process, or throws
 * {@link DataDirLockedError} naming the live holder. A stale lock (its
 * process is gone) is replaced. The lock is released by `release()`, and the
 * file is left behind only by a process that dies, which the next taker
 * recognises as stale.
 */
export async function lockDataDir(dataDir: string, purpose: string): Promise<DataDirLock> {
  const file = lockFileOf(dataDir);
  await mkdir(path.dirname(file), { recursive: true });
  const holder: LockHolder = { pid: process.pid, host: hostname(), purpose, since: new Date().toISOString() };
  // Written whole under a private name first, so a reader never sees half a lock.
  const draft = `${file}.${process.pid}.${Date.now()}`;
  await writeFile(draft, JSON.stringify(holder), { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(draft, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const current = await readHolder(file);
      const stale =
        current === undefined ||
        current.pid === 0 ||
        (current.host === holder.host && current.pid !== process.pid && !isAlive(current.pid));
      if (!stale || attempt > 0) throw new DataDirLockedError(dataDir, file, current ?? holder);
      await rm(file, { force: true });
    }
  } finally {
    await rm(draft, { force: true });
  }
  let released = false;
  return {
    file,
    async release() {
      if (released) return;
      released = true;
      await rm(file, { force: true });
    },
  };
}
