import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../../log.ts";

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** `redis://`, `rediss://` or `unix:///path/redis.sock[?password=…]` URL (REDIS_URL), credentials and database number included. */
  url: string;
  /** A command without a reply after this long fails instead of hanging. */
  commandTimeoutMs: number;
  /** Lua scripts ioredis defines as commands on the client. */
  scripts?: RedisOptions["scripts"];
  /** Told about losing and regaining the connection; `what` says what stops working meanwhile. */
  logger: Logger;
  what: string;
}

/** A connected client and where it points, described without credentials for messages and logs. */
export interface RedisConnection {
  client: Redis;
  where: string;
}

/**
 * Connects to Redis the one way Linli does (session store, shared rate limits):
 * commands fail at once while the connection is down instead of queueing, time
 * out after `commandTimeoutMs`, and the client reconnects on its own. Rejects
 * with an Error naming REDIS_URL (without its password) when Redis cannot be
 * reached now, so a misconfiguration stops start-up with a clear message.
 */
export async function connectRedis(options: ConnectRedisOptions): Promise<RedisConnection> {
  const where = describeWithoutCredentials(options.url);
  const logger = options.logger;
  const client = new Redis(ioredisTarget(options.url), {
    lazyConnect: true,
    // Queued commands would hold residents' updates hostage to an outage; fail
    // them at once and let the caller say "temporarily unavailable".
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Commands issued in the same tick (several residents' updates beginning or committing at
    // once) go out in one write: on a busy bot the socket writes, not Redis, were the cost.
    enableAutoPipelining: true,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000) + Math.floor(Math.random() * 100),
    ...(options.scripts ? { scripts: options.scripts } : {}),
  });

  let lastConnectionError: Error | undefined;
  let connected = false;
  client.on("error", (error) => {
    lastConnectionError = error;
    logger.debug("Redis client error", { error });
  });
  client.on("reconnecting", () => {
    if (connected) logger.warn(`Lost the connection to Redis; ${options.what} fail until it is back`, { error: lastConnectionError });
    connected = false;
  });
  client.on("ready", () => {
    if (!connected) logger.info("Connected to Redis");
    connected = true;
  });

  try {
    await client.connect();
  } catch (error) {
    // Stop the retry loop, or the failed client would keep the process alive.
    client.disconnect();
    const cause = lastConnectionError ?? error;
    throw new Error(`Cannot connect to Redis at ${where} (REDIS_URL): ${messageOf(cause)}`, { cause });
  }
  return { client, where };
}

/** Closes a client politely, or at once when Redis does not answer. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/**
 * What ioredis connects to for `url`: a `redis:`/`rediss:` URL as it is, and
 * `unix:///path/redis.sock[?password=…]` as the socket's path with its query,
 * the only form of a socket ioredis understands. A Redis on the same host is
 * cheaper over its Unix socket than over loopback TCP (decision record 0005;
 * the measurement is in docs/performance.md).
 */
function ioredisTarget(url: string): string {
  const parsed = new URL(url);
  return parsed.protocol === "unix:" ? `${decodeURIComponent(parsed.pathname)}${parsed.search}` : url;
}

/** The URL's scheme, host and path: what may appear in a message, without credentials. */
export function describeWithoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
  } catch {
    return "(unparseable URL)";
  }
}

/** An error's message, or the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
