import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, MIN_SECRET_LENGTH } from "../../src/config.ts";
import { openDatabase } from "../../src/db/database.ts";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => problem.variable);
    throw error;
  }
  return [];
}

describe("configuration", () => {
  it(`refuses a WeCom Token or a database or Redis password shorter than ${MIN_SECRET_LENGTH} characters, naming the variable`, () => {
    const key = "A".repeat(43);
    expect(problemsOf({ WECOM_BOT_TOKEN: "abc1234", WECOM_BOT_ENCODING_AES_KEY: key })).toEqual(["WECOM_BOT_TOKEN"]);
    expect(problemsOf({ WECOM_BOT_TOKEN: "abcd1234", WECOM_BOT_ENCODING_AES_KEY: key })).toEqual([]);
    expect(problemsOf({ DATABASE_URL: "postgres://linli:linli@db/linli" })).toEqual(["DATABASE_URL"]);
    expect(problemsOf({ DATABASE_URL: "postgresql:///linli?host=/run/postgresql&password=short" })).toEqual(["DATABASE_URL"]);
    expect(problemsOf({ REDIS_URL: "redis://:pw@cache:6379" })).toEqual(["REDIS_URL"]);
    expect(problemsOf({ DATABASE_URL: "postgres://linli@db/linli", REDIS_URL: "redis://cache:6379" })).toEqual([]);
    expect(problemsOf({ DATABASE_URL: `postgres://linli:${encodeURIComponent('long"enough\\pw')}@db/linli` })).toEqual([]);
  });

  it("an empty environment gives the embedded defaults: PGlite under ./data, memory sessions, web chat on localhost:3000, Telegram off", () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: "pglite", dataDir: path.resolve("data/pglite"), backupDir: path.resolve("data/backups") });
    expect(config.adminSocket).toBe(path.resolve("data/run/admin.sock"));
    expect(config.redisUrl).toBeUndefined();
    expect(config.http).toEqual({ host: "127.0.0.1", port: 3000 });
    expect(config.telegram).toBeUndefined();
  });

  it("DATABASE_URL and REDIS_URL select PostgreSQL and Redis, and their passwords are kept out of logs", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://linli:pg-secret-1@db:5432/linli",
      REDIS_URL: "redis://:redis-secret-2@cache:6379",
    });
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://linli:pg-secret-1@db:5432/linli" });
    expect(config.redisUrl).toBe("redis://:redis-secret-2@cache:6379");
    expect(config.secrets).toEqual(expect.arrayContaining(["pg-secret-1", "redis-secret-2"]));
  });

  it("PostgreSQL and Redis on the same host can be reached through their Unix sockets, passwords still kept out of logs", () => {
    const config = loadConfig({
      DATABASE_URL: "postgresql:///linli?host=/var/run/postgresql&user=linli&password=pg-secret-3",
      REDIS_URL: "unix:///run/redis/redis.sock?password=redis-secret-4",
    });
    expect(config.database).toEqual({
      kind: "postgres",
      url: "postgresql:///linli?host=/var/run/postgresql&user=linli&password=pg-secret-3",
    });
    expect(config.redisUrl).toBe("unix:///run/redis/redis.sock?password=redis-secret-4");
    expect(config.secrets).toEqual(expect.arrayContaining(["pg-secret-3", "redis-secret-4"]));
  });

  it("each bad value is reported by the name of its variable", () => {
    expect(problemsOf({ PORT: "eighty" })).toEqual(["PORT"]);
    expect(problemsOf({ DATABASE_URL: "mysql://x" })).toEqual(["DATABASE_URL"]);
    expect(problemsOf({ REDIS_URL: "localhost:6379" })).toEqual(["REDIS_URL"]);
    expect(problemsOf({ TELEGRAM_BOT_TOKEN: "not-a-token" })).toEqual(["TELEGRAM_BOT_TOKEN"]);
    expect(problemsOf({ SESSION_IDLE_MINUTES: "0" })).toEqual(["SESSION_IDLE_MINUTES"]);
    expect(problemsOf({ LOG_LEVEL: "loud" })).toEqual(["LOG_LEVEL"]);
  });

  it("working time defaults to Monday to Friday 09:00-17:30 in Shanghai with the digest at 08:30, and bad values name their variable", () => {
    expect(loadConfig({}).workingTime).toEqual({
      timeZone: "Asia/Shanghai",
      workingDays: [1, 2, 3, 4, 5],
      workingHours: { start: 540, end: 1050 },
      dailyDigestAt: 510,
    });
    expect(
      loadConfig({ WORK_HOURS: "08:30-12:00", WORK_DAYS: "1-3,6", TIME_ZONE: "Europe/Berlin", DAILY_DIGEST_AT: "7:45" }).workingTime,
    ).toEqual({
      timeZone: "Europe/Berlin",
      workingDays: [1, 2, 3, 6],
      workingHours: { start: 510, end: 720 },
      dailyDigestAt: 465,
    });
    expect(loadConfig({ WORK_DAYS: "5,1,2,2" }).workingTime.workingDays).toEqual([1, 2, 5]);
    for (const bad of ["17:30-09:00", "09:00", "9-17", "09:00-25:00"]) expect(problemsOf({ WORK_HOURS: bad })).toEqual(["WORK_HOURS"]);
    for (const bad of ["0-4", "1-8", "5-1", "Mon-Fri", ""]) expect(problemsOf({ WORK_DAYS: bad })).toEqual(["WORK_DAYS"]);
    expect(problemsOf({ TIME_ZONE: "Shanghai" })).toEqual(["TIME_ZONE"]);
    expect(problemsOf({ DAILY_DIGEST_AT: "24:00" })).toEqual(["DAILY_DIGEST_AT"]);
    expect(problemsOf({ CLASS_REMINDER_LEAD_HOURS: "0" })).toEqual(["CLASS_REMINDER_LEAD_HOURS"]);
    expect(loadConfig({ CLASS_REMINDER_LEAD_HOURS: "48" }).classReminderLeadHours).toBe(48);
  });

  it("photos no report uses are bounded by default, and bounds that contradict each other name their variable", () => {
    expect(loadConfig({}).media.limits).toEqual({
      maxTotalBytes: 2 * 1024 ** 3,
      unattachedMaxBytes: 256 * 1024 ** 2,
      unattachedPerClient: 6,
      unattachedPerAddress: 60,
      unattachedTtlMs: 60 * 60_000,
    });
    expect(
      problemsOf({
        MEDIA_MAX_TOTAL_BYTES: String(20 * 1024 ** 2),
        UPLOAD_UNATTACHED_MAX_BYTES: String(10 * 1024 ** 2),
        MEDIA_MAX_BYTES: String(50 * 1024 ** 2),
      }),
    ).toEqual(["MEDIA_MAX_TOTAL_BYTES"]);
    expect(problemsOf({ MEDIA_MAX_TOTAL_BYTES: String(100 * 1024 ** 2) })).toEqual(["UPLOAD_UNATTACHED_MAX_BYTES"]);
    expect(problemsOf({ UPLOAD_UNATTACHED_PER_ADDRESS: "4" })).toEqual(["UPLOAD_UNATTACHED_PER_ADDRESS"]);
    expect(problemsOf({ UPLOAD_UNATTACHED_MINUTES: "30" })).toEqual(["UPLOAD_UNATTACHED_MINUTES"]);
    expect(problemsOf({ UPLOAD_UNATTACHED_PER_CLIENT: "many" })).toEqual(["UPLOAD_UNATTACHED_PER_CLIENT"]);
  });

  it("web identities and in-memory sessions have generous bounds by default, and bad ones name their variable", () => {
    const config = loadConfig({});
    expect(config.web).toEqual({ newClientsPerAddressPerHour: 60, signUpsPerAddressPerHour: 30 });
    expect(config.memorySessionsMax).toBe(100_000);
    expect(problemsOf({ WEB_NEW_CLIENTS_PER_ADDRESS_PER_HOUR: "0" })).toEqual(["WEB_NEW_CLIENTS_PER_ADDRESS_PER_HOUR"]);
    expect(problemsOf({ WEB_SIGN_UPS_PER_ADDRESS_PER_HOUR: "lots" })).toEqual(["WEB_SIGN_UPS_PER_ADDRESS_PER_HOUR"]);
    expect(problemsOf({ MEMORY_SESSIONS_MAX: "10" })).toEqual(["MEMORY_SESSIONS_MAX"]);
  });

  it("web console sessions end after 30 idle minutes or 12 hours by default, and bounds that contradict each other name their variable", () => {
    expect(loadConfig({}).consoleSessions).toEqual({ idleMs: 30 * 60_000, maxMs: 12 * 3_600_000 });
    expect(loadConfig({ CONSOLE_SESSION_IDLE_MINUTES: "15", CONSOLE_SESSION_MAX_HOURS: "8" }).consoleSessions).toEqual({
      idleMs: 15 * 60_000,
      maxMs: 8 * 3_600_000,
    });
    expect(problemsOf({ CONSOLE_SESSION_IDLE_MINUTES: "0" })).toEqual(["CONSOLE_SESSION_IDLE_MINUTES"]);
    expect(problemsOf({ CONSOLE_SESSION_MAX_HOURS: "a day" })).toEqual(["CONSOLE_SESSION_MAX_HOURS"]);
    expect(problemsOf({ CONSOLE_SESSION_IDLE_MINUTES: "180", CONSOLE_SESSION_MAX_HOURS: "2" })).toEqual(["CONSOLE_SESSION_IDLE_MINUTES"]);
  });

  it("the grid map has no base map by default; a tile layer needs an http(s) template with {z}/{x}/{y} and an attribution, bad values naming their variable", () => {
    expect(loadConfig({}).map).toEqual({ tiles: undefined });
    expect(
      loadConfig({
        MAP_TILE_URL: "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
        MAP_TILE_ATTRIBUTION: "© Example Maps",
        MAP_TILE_COORDINATES: "gcj02",
      }).map,
    ).toEqual({ tiles: { url: "https://{s}.tiles.example.org/{z}/{x}/{y}.png", attribution: "© Example Maps", coordinates: "gcj02" } });
    expect(
      loadConfig({ MAP_TILE_URL: "http://127.0.0.1:8080/{z}/{x}/{y}.png", MAP_TILE_ATTRIBUTION: "tiles" }).map.tiles?.coordinates,
    ).toBe("wgs84");
    expect(problemsOf({ MAP_TILE_URL: "https://tiles.example.org/{z}/{x}/{y}.png" })).toEqual(["MAP_TILE_ATTRIBUTION"]);
    expect(problemsOf({ MAP_TILE_URL: "ftp://tiles.example.org/{z}/{x}/{y}.png", MAP_TILE_ATTRIBUTION: "x" })).toEqual(["MAP_TILE_URL"]);
    expect(problemsOf({ MAP_TILE_URL: "https://tiles.example.org/tile.png", MAP_TILE_ATTRIBUTION: "x" })).toEqual(["MAP_TILE_URL"]);
    expect(problemsOf({ MAP_TILE_COORDINATES: "bd09" })).toEqual(["MAP_TILE_COORDINATES"]);
  });

  it("webhook mode needs a token and a secret", () => {
    expect(problemsOf({ TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook" }).sort()).toEqual([
      "TELEGRAM_BOT_TOKEN",
      "TELEGRAM_WEBHOOK_SECRET",
    ]);
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
      TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook",
      TELEGRAM_WEBHOOK_SECRET: "a-long-enough-secret",
    });
    expect(config.telegram?.webhook).toEqual({ url: "https://bot.example.org/telegram/webhook", secret: "a-long-enough-secret" });
    expect(config.secrets).toEqual(expect.arrayContaining(["123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", "a-long-enough-secret"]));
  });
});

describe("several worker processes", () => {
  const SERVER = { DATABASE_URL: "postgres://linli@127.0.0.1:5432/linli", REDIS_URL: "redis://127.0.0.1:6379" };

  it("one process by default, and WORKERS runs more when PostgreSQL and Redis hold what they share", () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ ...SERVER, WORKERS: "2" }).workers).toBe(2);
    expect(problemsOf({ ...SERVER, WORKERS: "0" })).toEqual(["WORKERS"]);
    expect(problemsOf({ ...SERVER, WORKERS: "two" })).toEqual(["WORKERS"]);
  });

  it("more than one worker is refused on the embedded database, on in-memory sessions and with Telegram long polling, naming WORKERS", () => {
    expect(problemsOf({ WORKERS: "2", REDIS_URL: SERVER.REDIS_URL })).toEqual(["WORKERS"]);
    expect(problemsOf({ WORKERS: "2", DATABASE_URL: SERVER.DATABASE_URL })).toEqual(["WORKERS"]);
    expect(problemsOf({ ...SERVER, WORKERS: "2", TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ" })).toEqual(["WORKERS"]);
    expect(
      loadConfig({
        ...SERVER,
        WORKERS: "2",
        TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        TELEGRAM_WEBHOOK_URL: "https://bot.example.org/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET: "a-long-enough-secret",
      }).workers,
    ).toBe(2);
  });
});

describe("WeCom intelligent bot configuration", () => {
  const KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

  it("is off without Token and EncodingAESKey, and with both it defaults to an empty receive id, /wecom/callback and a 300 s window, its secrets kept out of logs", () => {
    expect(loadConfig({}).wecomBot).toBeUndefined();
    const config = loadConfig({ WECOM_BOT_TOKEN: "LinliToken42", WECOM_BOT_ENCODING_AES_KEY: KEY });
    expect(config.wecomBot).toEqual({
      token: "LinliToken42",
      encodingAesKey: KEY,
      receiveId: "",
      callbackPath: "/wecom/callback",
      timestampWindowSeconds: 300,
    });
    expect(config.secrets).toEqual(expect.arrayContaining(["LinliToken42", KEY]));
    expect(
      loadConfig({
        WECOM_BOT_TOKEN: "LinliToken42",
        WECOM_BOT_ENCODING_AES_KEY: KEY,
        WECOM_CALLBACK_PATH: "/hooks/wecom",
        WECOM_BOT_RECEIVE_ID: "ww123",
      }).wecomBot,
    ).toMatchObject({
      callbackPath: "/hooks/wecom",
      receiveId: "ww123",
    });
  });

  it("a bad or half-given WeCom setting is reported by the name of its variable", () => {
    expect(problemsOf({ WECOM_BOT_TOKEN: "LinliToken42" })).toEqual(["WECOM_BOT_ENCODING_AES_KEY"]);
    expect(problemsOf({ WECOM_BOT_ENCODING_AES_KEY: KEY })).toEqual(["WECOM_BOT_TOKEN"]);
    expect(problemsOf({ WECOM_BOT_TOKEN: "LinliToken42", WECOM_BOT_ENCODING_AES_KEY: KEY.slice(1) })).toEqual([
      "WECOM_BOT_ENCODING_AES_KEY",
    ]);
    expect(problemsOf({ WECOM_BOT_TOKEN: "LinliToken42", WECOM_BOT_ENCODING_AES_KEY: `${KEY.slice(1)}=` })).toEqual([
      "WECOM_BOT_ENCODING_AES_KEY",
    ]);
    expect(problemsOf({ WECOM_BOT_TOKEN: "bad token!", WECOM_BOT_ENCODING_AES_KEY: KEY })).toEqual(["WECOM_BOT_TOKEN"]);
    expect(problemsOf({ WECOM_CALLBACK_PATH: "wecom" })).toEqual(["WECOM_CALLBACK_PATH"]);
    expect(problemsOf({ WECOM_BOT_TIMESTAMP_WINDOW_SECONDS: "5" })).toEqual(["WECOM_BOT_TIMESTAMP_WINDOW_SECONDS"]);
  });
});

describe("start-up", () => {
  const start = async (env: Record<string, string>) => {
    try {
      await run("npx", ["tsx", "src/main.ts"], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        timeout: 60_000,
      });
      return { code: 0, stderr: "" };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, stderr: failed.stderr };
    }
  };

  it("a bad environment variable stops start-up with a message naming it", async () => {
    const result = await start({ PORT: "not-a-port" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("PORT");
  });

  it("a broken town-data file stops start-up naming file, line and field, and nothing is imported", { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "linli-start-"));
    const file = path.join(dir, "broken.yaml");
    await writeFile(file, "town:\n  code: wujing\n  name: 吴泾镇\ndistricts: 12\n");
    const result = await start({ DATA_DIR: dir, TOWN_DATA_FILE: file, PORT: "0" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${file}:4`);
    expect(result.stderr).toContain("districts");
    const db = await openDatabase({ kind: "pglite", dataDir: path.join(dir, "pglite") });
    expect(await db.prisma.town.count()).toBe(0);
    await db.close();
  });
});
