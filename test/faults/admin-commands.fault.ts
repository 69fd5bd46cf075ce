import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { createPostgresDatabase } from "../support/databases.ts";
import { SAMPLE_TOWN_FILE } from "../support/town.ts";
import { eventually, health, webResident } from "./support/app.ts";
import { startAppProcess, type AppProcess } from "./support/app-process.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CODE = /invitation code: ([A-Z0-9]{10})/;
const WEB_LINK = /web chat link: (http:\/\/\S+\?start=staff-[A-Z0-9]{10})/;

/** Runs one of the operator's commands as `npm run <script>` does (tsx on its file), with `env` as the whole configuration. */
function runCli(file: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", `src/cli/${file}`, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), TOWN_DATA_FILE: SAMPLE_TOWN_FILE, ...env } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }),
    );
  });
}

/** A person opening the invitation link in the web chat: the page sends `/start staff-<code>`. */
async function redeemInWebChat(httpUrl: string, code: string): Promise<string> {
  return (await webResident(httpUrl).say(`/start staff-${code}`)).text;
}

const embeddedEnv = async () => ({
  DATA_DIR: await mkdtemp(path.join(tmpdir(), "linli-fault-admin-")),
  PORT: "0",
  TOWN_DATA_FILE: SAMPLE_TOWN_FILE,
  LOG_LEVEL: "debug",
});

async function staffCount(dataDir: string): Promise<number> {
  const db = await openDatabase({ kind: "pglite", dataDir: path.join(dataDir, "pglite") });
  try {
    return await db.prisma.staffMember.count({ where: { revokedAt: null } });
  } finally {
    await db.close();
  }
}

describe("the operator's commands beside a running Linli on the embedded database", () => {
  let app: AppProcess | undefined;
  afterEach(async () => {
    await app?.kill();
    app = undefined;
  });

  it("a first start prints a one-time admin invitation whose web chat link binds an admin; a restart only reminds", async () => {
    const env = await embeddedEnv();
    app = await startAppProcess("admin-first-run", env);
    const link = await eventually("the invitation on stdout", () => WEB_LINK.exec(app!.output())?.[1]);
    expect(new URL(link).origin).toBe(new URL(app.httpUrl).origin);
    const code = new URL(link).searchParams.get("start")!.replace("staff-", "");
    expect(await redeemInWebChat(app.httpUrl, code)).toContain("登记成功");

    await app.kill();
    app = await startAppProcess("admin-first-run", env);
    await eventually("the app's start-up lines", () => health(app!.httpUrl).then((answer) => answer.status === 200 || undefined));
    expect(app.output()).not.toMatch(CODE);
  });

  it("staff:invite, import and backup while it runs are carried out by it, and nothing they wrote is lost", async () => {
    const env = await embeddedEnv();
    app = await startAppProcess("admin-while-running", env);

    const invite = await runCli("staff-invite.ts", ["--role", "district", "--label", "第二片区网格员", "--districts", "d2"], env);
    expect(invite.stderr).toBe("");
    expect(invite.code).toBe(0);
    expect(invite.stdout).toContain("carried out by the running Linli");
    const code = CODE.exec(invite.stdout)![1]!;
    expect(invite.stdout).toContain(`${app.httpUrl}/?start=staff-${code}`);
    expect(await redeemInWebChat(app.httpUrl, code)).toContain("登记成功");

    const changedTown = path.join(env.DATA_DIR, "town.yaml");
    await writeFile(
      changedTown,
      (await readFile(SAMPLE_TOWN_FILE, "utf8")).replace("    name: 紫竹半岛居民区\n", "    name: 紫竹半岛东居民区\n"),
    );
    const imported = await runCli("import.ts", [changedTown], env);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("imported town wujing");
    expect(imported.stdout).toContain("carried out by the running Linli");
    // The running bot answers from the new data at once, not after its refresh interval.
    expect((await webResident(app.httpUrl).say("紫竹半岛")).text).toContain("紫竹半岛东居民区 属于");

    const backup = await runCli("backup.ts", [], env);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain("carried out by the running Linli");
    expect(await readdir(path.join(env.DATA_DIR, "backups"))).toHaveLength(1);

    await app.kill();
    app = undefined;
    // The district invitation's staff member, written by the running process, is in the folder.
    expect(await staffCount(env.DATA_DIR)).toBe(1);
  });

  it("a second npm start on the same folder refuses with a clear message, and restore refuses while Linli runs", async () => {
    const env = await embeddedEnv();
    app = await startAppProcess("admin-two-starts", env);
    await expect(startAppProcess("admin-two-starts", env)).rejects.toThrow(
      /data folder .* is in use by another process \(npm start, pid \d+/,
    );
    const backup = await runCli("backup.ts", [], env);
    const file = /backed up to: (\S+\.tar\.gz)/.exec(backup.stdout)![1]!;
    const restore = await runCli("restore.ts", [file], env);
    expect(restore.code).toBe(1);
    expect(restore.stderr).toContain("is in use by another process");
    expect((await health(app.httpUrl)).status).toBe(200);
  });

  it("a backup restores the database as it was when taken, keeping the folder it replaced", async () => {
    const env = await embeddedEnv();
    app = await startAppProcess("admin-backup-restore", env);
    const first = await runCli("staff-invite.ts", ["--role", "academy", "--label", "学院老师"], env);
    await redeemInWebChat(app.httpUrl, CODE.exec(first.stdout)![1]!);
    const backup = await runCli("backup.ts", [], env);
    const file = /backed up to: (\S+\.tar\.gz)/.exec(backup.stdout)![1]!;
    const second = await runCli("staff-invite.ts", ["--role", "academy", "--label", "学院助教"], env);
    await redeemInWebChat(app.httpUrl, CODE.exec(second.stdout)![1]!);
    await app.kill();
    app = undefined;
    expect(await staffCount(env.DATA_DIR)).toBe(2);

    const restore = await runCli("restore.ts", [file], env);
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/kept at: \S+pglite\.replaced-/);
    expect(await staffCount(env.DATA_DIR)).toBe(1);
    app = await startAppProcess("admin-backup-restore", env);
    expect((await health(app.httpUrl)).status).toBe(200);

    await app.kill();
    app = undefined;
    const notABackup = path.join(env.DATA_DIR, "not-a-backup.tar.gz");
    await writeFile(notABackup, "not a tarball");
    const refused = await runCli("restore.ts", [notABackup], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("is not a usable Linli backup");
    expect(await staffCount(env.DATA_DIR)).toBe(1);
  });

  it("an unreadable data folder stops start-up with one paragraph naming the folder and the newest backup, not a stack of bundled code", async () => {
    const env = await embeddedEnv();
    app = await startAppProcess("admin-corrupt", env);
    const backup = await runCli("backup.ts", [], env);
    const file = /backed up to: (\S+\.tar\.gz)/.exec(backup.stdout)![1]!;
    await app.kill();
    app = undefined;
    await writeFile(path.join(env.DATA_DIR, "pglite", "global", "pg_control"), Buffer.alloc(100, 0x5a));

    const failure = await startAppProcess("admin-corrupt", env).then(
      () => "started",
      (error: Error) => error.message,
    );
    expect(failure).toContain(`The embedded database in ${path.join(env.DATA_DIR, "pglite")} cannot be opened`);
    expect(failure).toContain(`npm run restore -- ${file}`);
    expect(failure).not.toMatch(/function\(|at async|\.js:\d+/);
    expect(failure.length).toBeLessThan(2000);

    expect((await runCli("restore.ts", [file], env)).code).toBe(0);
    app = await startAppProcess("admin-corrupt", env);
    expect((await health(app.httpUrl)).status).toBe(200);
  });
});

describe("the operator's commands on PostgreSQL", () => {
  it("staff:invite beside a running Linli writes to the server, says which, and the code works at once", async () => {
    const env = { ...(await embeddedEnv()), DATABASE_URL: await createPostgresDatabase() };
    const app = await startAppProcess("admin-postgres", env);
    try {
      const invite = await runCli("staff-invite.ts", ["--role", "admin", "--label", "管理员"], env);
      expect(invite.code).toBe(0);
      const where = new URL(env.DATABASE_URL);
      expect(invite.stdout).toContain(`database: PostgreSQL ${where.protocol}//${where.username}@${where.host}${where.pathname}`);
      expect(await redeemInWebChat(app.httpUrl, CODE.exec(invite.stdout)![1]!)).toContain("登记成功");
      const backup = await runCli("backup.ts", [], env);
      expect(backup.code).toBe(1);
      expect(backup.stderr).toContain("pg_dump");
    } finally {
      await app.kill();
    }
  });
});
