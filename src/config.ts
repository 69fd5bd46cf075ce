import path from "node:path";
import { z } from "zod";
import { parseClockTime } from "./domain/time/working-time.ts";
import { isKnownTimeZone } from "./domain/time/zone.ts";

/**
 * The shortest secret (token, password) Linli accepts. A shorter one is easy to
 * guess, and the logs could not be kept free of it without blanking ordinary
 * words that happen to contain it.
 */
export const MIN_SECRET_LENGTH = 8;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const urlWithProtocols = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
    );

const optionalUrl = (protocols: readonly string[]) =>
  z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), urlWithProtocols(protocols).optional());

const envSchema = z
  .object({
    // 0 asks the OS for a free port (tests, several instances on one host).
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().trim().min(1).default("127.0.0.1"),
    // The address people reach the web chat at (behind a reverse proxy); printed shop QR codes carry it.
    PUBLIC_URL: optionalUrl(["https:", "http:"]),
    DATA_DIR: z.string().trim().min(1).default("./data"),
    DATABASE_URL: optionalUrl(["postgres:", "postgresql:"]),
    REDIS_URL: optionalUrl(["redis:", "rediss:", "unix:"]),
    TOWN_CODE: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9-]{1,31}$/, "must be a lowercase code such as wujing")
      .default("wujing"),
    TOWN_DATA_FILE: z.string().trim().min(1).default("data/wujing.sample.yaml"),
    // Linli processes sharing the HTTP port; more than one needs state shared between them (PostgreSQL, Redis).
    WORKERS: z.coerce.number().int().min(1).max(64).default(1),
    SESSION_IDLE_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(30),
    // Staff web console sessions: ended after this long without a request, and this long after sign-in at most.
    CONSOLE_SESSION_IDLE_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    CONSOLE_SESSION_MAX_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24)
      .default(12),
    // Sessions kept at most in memory (no REDIS_URL); the least recently used go first.
    MEMORY_SESSIONS_MAX: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
    // A web client id is free to make up: new ones per address an hour, generous for a shared network.
    WEB_NEW_CLIENTS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(60),
    // Class sign-ups from one web address an hour, whatever the client ids.
    WEB_SIGN_UPS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(30),
    TELEGRAM_BOT_TOKEN: optionalString.pipe(
      z
        .string()
        .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, "must look like 123456:ABC-DEF… as issued by @BotFather")
        .optional(),
    ),
    TELEGRAM_API_ROOT: urlWithProtocols(["http:", "https:"]).default("https://api.telegram.org"),
    TELEGRAM_WEBHOOK_URL: optionalUrl(["https:", "http:"]),
    TELEGRAM_WEBHOOK_SECRET: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{16,256}$/, "must be 16-256 characters of A-Z, a-z, 0-9, _ and -")
        .optional(),
    ),
    // WeCom accepts a Token of 3 characters; its own generated ones have 32.
    WECOM_BOT_TOKEN: optionalString.pipe(
      z
        .string()
        .regex(
          new RegExp(`^[A-Za-z0-9]{${MIN_SECRET_LENGTH},32}$`),
          `must be the ${MIN_SECRET_LENGTH}-32 letters and digits set as the intelligent bot's Token (a shorter one is easy to guess; let WeCom generate one)`,
        )
        .optional(),
    ),
    WECOM_BOT_ENCODING_AES_KEY: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9]{43}$/, "must be the 43 letters and digits set as the intelligent bot's EncodingAESKey")
        .optional(),
    ),
    // WeCom's documentation: for an enterprise's own intelligent bot the ReceiveId is the empty string.
    WECOM_BOT_RECEIVE_ID: z.string().trim().max(128).default(""),
    WECOM_CALLBACK_PATH: z
      .string()
      .trim()
      .regex(/^\/[A-Za-z0-9/_-]{1,100}$/, "must be a path such as /wecom/callback")
      .default("/wecom/callback"),
    WECOM_BOT_TIMESTAMP_WINDOW_SECONDS: z.coerce.number().int().min(30).max(3600).default(300),
    // An optional base map under the grid map: a tile URL template, the attribution its provider requires, and
    // the coordinate system its tiles are drawn in (GCJ-02 for Amap- or Tencent-style tiles).
    MAP_TILE_URL: optionalString.pipe(
      z
        .string()
        .refine(
          isTileUrlTemplate,
          "must be an https:// or http:// tile URL template with {z}, {x} and {y}, e.g. https://tiles.example.org/{z}/{x}/{y}.png",
        )
        .optional(),
    ),
    MAP_TILE_ATTRIBUTION: optionalString,
    MAP_TILE_COORDINATES: z.enum(["wgs84", "gcj02"], { message: "must be wgs84 or gcj02" }).default("wgs84"),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
    MEDIA_DIR: optionalString,
    MEDIA_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .max(50 * 1024 * 1024)
      .default(5 * 1024 * 1024),
    // The media folder's bound: no new photo is kept once the stored ones take this much.
    MEDIA_MAX_TOTAL_BYTES: z.coerce
      .number()
      .int()
      .min(16 * 1024 * 1024)
      .max(2 ** 40)
      .default(2 * 1024 ** 3),
    // Photos uploaded (or sent) but attached to no report are deleted this long after they arrived.
    UPLOAD_UNATTACHED_MINUTES: z.coerce
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(60),
    // Unattached photos of everyone together, in bytes.
    UPLOAD_UNATTACHED_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .max(2 ** 40)
      .default(256 * 1024 * 1024),
    // Unattached web uploads one visitor may hold (a report takes up to 3 photos).
    UPLOAD_UNATTACHED_PER_CLIENT: z.coerce.number().int().min(3).max(1000).default(6),
    // Unattached web uploads all visitors behind one address may hold: room for a shared network, not for a script.
    UPLOAD_UNATTACHED_PER_ADDRESS: z.coerce.number().int().min(3).max(100_000).default(60),
    REPORT_RATE_LIMIT_COUNT: z.coerce.number().int().min(1).max(1000).default(5),
    REPORT_RATE_LIMIT_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(10),
    DUPLICATE_WINDOW_DAYS: z.coerce.number().int().min(1).max(365).default(14),
    DUPLICATE_HOUSE_NUMBER_SPAN: z.coerce.number().int().min(0).max(10_000).default(20),
    DUPLICATE_DISTANCE_METERS: z.coerce.number().int().min(1).max(10_000).default(150),
    REOPEN_WINDOW_DAYS: z.coerce.number().int().min(1).max(365).default(14),
    WORK_HOURS: z
      .string()
      .default("09:00-17:30")
      .transform((value, ctx) => {
        const [start, end, ...rest] = value.split("-").map(parseClockTime);
        if (start === undefined || end === undefined || rest.length > 0 || start >= end) {
          ctx.addIssue({ code: "custom", message: "must be HH:MM-HH:MM with the start before the end, e.g. 09:00-17:30" });
          return z.NEVER;
        }
        return { start, end };
      }),
    WORK_DAYS: z
      .string()
      .default("1-5")
      .transform((value, ctx) => {
        const days = parseWeekdays(value);
        if (!days) {
          ctx.addIssue({
            code: "custom",
            message: "must list ISO weekdays 1 (Monday) to 7 (Sunday) as numbers or ranges, e.g. 1-5 or 1,2,3,4,5,6",
          });
          return z.NEVER;
        }
        return days;
      }),
    TIME_ZONE: z.string().trim().default("Asia/Shanghai").refine(isKnownTimeZone, "must be an IANA time zone such as Asia/Shanghai"),
    CLASS_REMINDER_LEAD_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24)
      .default(24),
    DAILY_DIGEST_AT: z
      .string()
      .default("08:30")
      .transform((value, ctx) => {
        const minutes = parseClockTime(value);
        if (minutes === undefined || minutes >= 24 * 60) {
          ctx.addIssue({ code: "custom", message: "must be a local time HH:MM, e.g. 08:30" });
          return z.NEVER;
        }
        return minutes;
      }),
  })
  .superRefine((env, ctx) => {
    if (env.TELEGRAM_WEBHOOK_URL && !env.TELEGRAM_BOT_TOKEN) {
      ctx.addIssue({ code: "custom", path: ["TELEGRAM_BOT_TOKEN"], message: "is required when TELEGRAM_WEBHOOK_URL is set" });
    }
    if (env.TELEGRAM_WEBHOOK_URL && !env.TELEGRAM_WEBHOOK_SECRET) {
      ctx.addIssue({ code: "custom", path: ["TELEGRAM_WEBHOOK_SECRET"], message: "is required when TELEGRAM_WEBHOOK_URL is set" });
    }
    if (env.WORKERS > 1 && !env.DATABASE_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["WORKERS"],
        message: "more than 1 needs DATABASE_URL: the embedded database belongs to one process",
      });
    }
    if (env.WORKERS > 1 && !env.REDIS_URL) {
      ctx.addIssue({ code: "custom", path: ["WORKERS"], message: "more than 1 needs REDIS_URL: in-memory sessions belong to one process" });
    }
    if (env.WORKERS > 1 && env.TELEGRAM_BOT_TOKEN && !env.TELEGRAM_WEBHOOK_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["WORKERS"],
        message: "more than 1 needs TELEGRAM_WEBHOOK_URL: Telegram allows one long-polling client per bot",
      });
    }
    for (const variable of ["DATABASE_URL", "REDIS_URL"] as const) {
      const password = env[variable] && passwordOf(env[variable]);
      if (password !== undefined && password.length < MIN_SECRET_LENGTH) {
        ctx.addIssue({
          code: "custom",
          path: [variable],
          message: `has a password shorter than ${MIN_SECRET_LENGTH} characters: it is easy to guess and could not be kept out of the logs; use a longer one`,
        });
      }
    }
    if (env.MEDIA_MAX_TOTAL_BYTES < env.MEDIA_MAX_BYTES) {
      ctx.addIssue({ code: "custom", path: ["MEDIA_MAX_TOTAL_BYTES"], message: "must be at least MEDIA_MAX_BYTES, or no photo fits" });
    }
    if (env.UPLOAD_UNATTACHED_MAX_BYTES > env.MEDIA_MAX_TOTAL_BYTES) {
      ctx.addIssue({ code: "custom", path: ["UPLOAD_UNATTACHED_MAX_BYTES"], message: "must not exceed MEDIA_MAX_TOTAL_BYTES" });
    }
    if (env.UPLOAD_UNATTACHED_PER_ADDRESS < env.UPLOAD_UNATTACHED_PER_CLIENT) {
      ctx.addIssue({
        code: "custom",
        path: ["UPLOAD_UNATTACHED_PER_ADDRESS"],
        message: "must be at least UPLOAD_UNATTACHED_PER_CLIENT: an address holds one visitor or more",
      });
    }
    if (env.UPLOAD_UNATTACHED_MINUTES <= env.SESSION_IDLE_MINUTES) {
      ctx.addIssue({
        code: "custom",
        path: ["UPLOAD_UNATTACHED_MINUTES"],
        message: "must be longer than SESSION_IDLE_MINUTES, or the photos of a report still being written could be deleted",
      });
    }
    if (env.CONSOLE_SESSION_IDLE_MINUTES > env.CONSOLE_SESSION_MAX_HOURS * 60) {
      ctx.addIssue({
        code: "custom",
        path: ["CONSOLE_SESSION_IDLE_MINUTES"],
        message: "must not exceed CONSOLE_SESSION_MAX_HOURS: a session ends at its lifetime however active",
      });
    }
    if (env.MAP_TILE_URL && !env.MAP_TILE_ATTRIBUTION) {
      ctx.addIssue({
        code: "custom",
        path: ["MAP_TILE_ATTRIBUTION"],
        message: "is required when MAP_TILE_URL is set: the tile provider's attribution must be shown on the map",
      });
    }
    if (env.WECOM_BOT_TOKEN && !env.WECOM_BOT_ENCODING_AES_KEY) {
      ctx.addIssue({ code: "custom", path: ["WECOM_BOT_ENCODING_AES_KEY"], message: "is required when WECOM_BOT_TOKEN is set" });
    }
    if (env.WECOM_BOT_ENCODING_AES_KEY && !env.WECOM_BOT_TOKEN) {
      ctx.addIssue({ code: "custom", path: ["WECOM_BOT_TOKEN"], message: "is required when WECOM_BOT_ENCODING_AES_KEY is set" });
    }
  });

/** Everything the process may be configured with, already validated and defaulted. */
export type Config = {
  /** `publicUrl`: where people reach the web chat (PUBLIC_URL); undefined means the server's own address. */
  http: { port: number; host: string; publicUrl: string | undefined };
  dataDir: string;
  database: { kind: "pglite"; dataDir: string; backupDir: string } | { kind: "postgres"; url: string };
  /**
   * Where a running Linli on the embedded database answers the admin commands
   * (`npm run staff:invite`, `import`, `backup`), so they never open the
   * folder beside it; undefined on PostgreSQL, which takes several writers.
   */
  adminSocket: string | undefined;
  redisUrl: string | undefined;
  /** How many Linli processes share the HTTP port (see src/cluster.ts); 1 runs everything in this process. */
  workers: number;
  town: { code: string; dataFile: string };
  sessionIdleMs: number;
  /** Staff web console sessions: idle timeout and absolute lifetime (CONSOLE_SESSION_IDLE_MINUTES, CONSOLE_SESSION_MAX_HOURS). */
  consoleSessions: { idleMs: number; maxMs: number };
  /** Sessions the in-memory store keeps at most (embedded mode). */
  memorySessionsMax: number;
  /** Allowances per web client address, whatever client ids it makes up. */
  web: { newClientsPerAddressPerHour: number; signUpsPerAddressPerHour: number };
  telegram:
    | {
        token: string;
        apiRoot: string;
        webhook: { url: string; secret: string } | undefined;
      }
    | undefined;
  /** The WeCom intelligent bot (智能机器人) in API mode; off unless its Token and EncodingAESKey are set. */
  wecomBot:
    | {
        token: string;
        encodingAesKey: string;
        /** Checked against the id inside every decrypted message; "" for an enterprise's own intelligent bot. */
        receiveId: string;
        callbackPath: string;
        /** How far a callback's timestamp may be from now, either way. */
        timestampWindowSeconds: number;
      }
    | undefined;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** The grid map's base map; see {@link MapTiles}. */
  map: { tiles: MapTiles | undefined };
  /** Where photos are kept and how much of them; see MediaLimits in src/bot/media/store.ts. */
  media: {
    dir: string;
    maxBytes: number;
    limits: {
      maxTotalBytes: number;
      unattachedMaxBytes: number;
      unattachedPerClient: number;
      unattachedPerAddress: number;
      unattachedTtlMs: number;
    };
  };
  reports: {
    rateLimit: { count: number; windowMinutes: number };
    duplicateWindowDays: number;
    duplicateHouseNumberSpan: number;
    duplicateDistanceMeters: number;
    reopenWindowDays: number;
  };
  /** The town's office week and when each group's daily digest goes out; holidays come from the town data. */
  workingTime: {
    timeZone: string;
    /** ISO weekdays, 1 Monday … 7 Sunday, ascending. */
    workingDays: number[];
    /** Minutes after local midnight. */
    workingHours: { start: number; end: number };
    /** Minutes after local midnight. */
    dailyDigestAt: number;
  };
  /** How long before a class session seated residents are reminded. */
  classReminderLeadHours: number;
  /** Values that must never appear in a log line. */
  secrets: string[];
};

/**
 * A base-map tile layer (MAP_TILE_URL, MAP_TILE_ATTRIBUTION, MAP_TILE_COORDINATES).
 * Without one the maps draw on a plain background and no request leaves Linli's
 * origin. Stored coordinates are always WGS-84; with `gcj02` tiles the page
 * shifts what it draws onto the tiles' system.
 */
export interface MapTiles {
  /** A URL template with {z}, {x}, {y} and optionally {s}. */
  url: string;
  attribution: string;
  coordinates: "wgs84" | "gcj02";
}

/** Raised when the environment cannot run Linli; the message names every offending variable. */
export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses the environment into a {@link Config}. This is the only reader of
 * `process.env` in the project, so a bad value stops start-up here with a message
 * that names the variable instead of failing later somewhere less obvious.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "environment"), message: issue.message })),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const telegram = e.TELEGRAM_BOT_TOKEN
    ? {
        token: e.TELEGRAM_BOT_TOKEN,
        apiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ""),
        webhook:
          e.TELEGRAM_WEBHOOK_URL && e.TELEGRAM_WEBHOOK_SECRET
            ? { url: e.TELEGRAM_WEBHOOK_URL, secret: e.TELEGRAM_WEBHOOK_SECRET }
            : undefined,
      }
    : undefined;
  return {
    http: { port: e.PORT, host: e.HOST, publicUrl: e.PUBLIC_URL },
    dataDir,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "pglite", dataDir: path.join(dataDir, "pglite"), backupDir: path.join(dataDir, "backups") },
    adminSocket: e.DATABASE_URL ? undefined : adminSocketIn(dataDir),
    redisUrl: e.REDIS_URL,
    workers: e.WORKERS,
    town: { code: e.TOWN_CODE, dataFile: path.resolve(e.TOWN_DATA_FILE) },
    sessionIdleMs: e.SESSION_IDLE_MINUTES * 60_000,
    consoleSessions: { idleMs: e.CONSOLE_SESSION_IDLE_MINUTES * 60_000, maxMs: e.CONSOLE_SESSION_MAX_HOURS * 3_600_000 },
    memorySessionsMax: e.MEMORY_SESSIONS_MAX,
    web: {
      newClientsPerAddressPerHour: e.WEB_NEW_CLIENTS_PER_ADDRESS_PER_HOUR,
      signUpsPerAddressPerHour: e.WEB_SIGN_UPS_PER_ADDRESS_PER_HOUR,
    },
    telegram,
    wecomBot:
      e.WECOM_BOT_TOKEN && e.WECOM_BOT_ENCODING_AES_KEY
        ? {
            token: e.WECOM_BOT_TOKEN,
            encodingAesKey: e.WECOM_BOT_ENCODING_AES_KEY,
            receiveId: e.WECOM_BOT_RECEIVE_ID,
            callbackPath: e.WECOM_CALLBACK_PATH,
            timestampWindowSeconds: e.WECOM_BOT_TIMESTAMP_WINDOW_SECONDS,
          }
        : undefined,
    logLevel: e.LOG_LEVEL,
    map: {
      tiles:
        e.MAP_TILE_URL && e.MAP_TILE_ATTRIBUTION
          ? { url: e.MAP_TILE_URL, attribution: e.MAP_TILE_ATTRIBUTION, coordinates: e.MAP_TILE_COORDINATES }
          : undefined,
    },
    media: {
      dir: path.resolve(e.MEDIA_DIR ?? path.join(dataDir, "media")),
      maxBytes: e.MEDIA_MAX_BYTES,
      limits: {
        maxTotalBytes: e.MEDIA_MAX_TOTAL_BYTES,
        unattachedMaxBytes: e.UPLOAD_UNATTACHED_MAX_BYTES,
        unattachedPerClient: e.UPLOAD_UNATTACHED_PER_CLIENT,
        unattachedPerAddress: e.UPLOAD_UNATTACHED_PER_ADDRESS,
        unattachedTtlMs: e.UPLOAD_UNATTACHED_MINUTES * 60_000,
      },
    },
    reports: {
      rateLimit: { count: e.REPORT_RATE_LIMIT_COUNT, windowMinutes: e.REPORT_RATE_LIMIT_MINUTES },
      duplicateWindowDays: e.DUPLICATE_WINDOW_DAYS,
      duplicateHouseNumberSpan: e.DUPLICATE_HOUSE_NUMBER_SPAN,
      duplicateDistanceMeters: e.DUPLICATE_DISTANCE_METERS,
      reopenWindowDays: e.REOPEN_WINDOW_DAYS,
    },
    workingTime: { timeZone: e.TIME_ZONE, workingDays: e.WORK_DAYS, workingHours: e.WORK_HOURS, dailyDigestAt: e.DAILY_DIGEST_AT },
    classReminderLeadHours: e.CLASS_REMINDER_LEAD_HOURS,
    secrets: [
      e.TELEGRAM_BOT_TOKEN,
      e.TELEGRAM_WEBHOOK_SECRET,
      e.WECOM_BOT_TOKEN,
      e.WECOM_BOT_ENCODING_AES_KEY,
      e.DATABASE_URL && passwordOf(e.DATABASE_URL),
      e.REDIS_URL && passwordOf(e.REDIS_URL),
    ].filter((s): s is string => typeof s === "string" && s.length > 0),
  };
}

/** The kernel takes Unix socket paths of at most 107 bytes. */
const MAX_SOCKET_PATH_BYTES = 107;

/** Where a Linli on the embedded database in `dataDir` listens for admin commands; a folder too deep for a socket stops start-up. */
function adminSocketIn(dataDir: string): string {
  const socket = path.join(dataDir, "run", "admin.sock");
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
    throw new ConfigError([
      {
        variable: "DATA_DIR",
        message: `is too long a path (${socket} must stay within ${MAX_SOCKET_PATH_BYTES} bytes for the admin socket); choose a shorter folder`,
      },
    ]);
  }
  return socket;
}

/** Subdomain letters a `{s}` in a tile URL template stands for (Leaflet's default). */
export const TILE_SUBDOMAINS = ["a", "b", "c"] as const;

/** An http(s) URL once `{s}` is a subdomain letter, holding the {z}, {x} and {y} a tile layer fills in. */
function isTileUrlTemplate(value: string): boolean {
  if (!["{z}", "{x}", "{y}"].every((part) => value.includes(part))) return false;
  try {
    return ["https:", "http:"].includes(new URL(value.replaceAll("{s}", TILE_SUBDOMAINS[0])).protocol);
  } catch {
    return false;
  }
}

/** "1-5", "1,2,3,4,5,6" or "1-3,5": ISO weekday numbers, ascending without repeats; undefined when anything else is written. */
function parseWeekdays(text: string): number[] | undefined {
  const days = new Set<number>();
  for (const part of text.split(",")) {
    const match = /^\s*([1-7])\s*(?:-\s*([1-7])\s*)?$/.exec(part);
    if (!match) return undefined;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first) return undefined;
    for (let day = first; day <= last; day++) days.add(day);
  }
  return [...days].sort((a, b) => a - b);
}

function passwordOf(url: string): string | undefined {
  const parsed = new URL(url);
  // A Unix-socket Redis URL has no host to put credentials before, so its password is a query parameter.
  const password = parsed.password ? decodeURIComponent(parsed.password) : parsed.searchParams.get("password");
  return password || undefined;
}
