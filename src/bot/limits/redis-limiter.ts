import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "../../log.ts";
import { closeRedis, connectRedis } from "../redis/connect.ts";
import { assertCostFits, type RateLimiter, type WindowLimit } from "./limiter.ts";

// Both scripts read the time from Redis, so processes on machines whose clocks
// differ still count on one clock. A window is a sorted set of one member per
// unit taken, scored by its time in milliseconds; members older than the window
// are removed before counting, and the set expires with its last member.

// KEYS: one sorted set per limit. ARGV: cost, a unique id for this take, then
// limit and window (ms) per key. Replies 0 when taken, else the ms to wait.
const TAKE = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call("ZREMRANGEBYSCORE", key, "-inf", now - window)
  local excess = redis.call("ZCARD", key) + cost - limit
  if excess > 0 then
    local oldest = redis.call("ZRANGE", key, excess - 1, excess - 1, "WITHSCORES")
    local until_free = tonumber(oldest[2]) + window - now
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  for j = 1, cost do redis.call("ZADD", key, now, ARGV[2] .. ":" .. j) end
  redis.call("PEXPIRE", key, tonumber(ARGV[2 + 2 * i]))
end
return 0`;

// KEYS: one sorted set. ARGV: limit, window (ms). Replies the units free now.
const AVAILABLE = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - tonumber(ARGV[2]))
return tonumber(ARGV[1]) - redis.call("ZCARD", KEYS[1])`;

interface LimitScripts {
  linliTakeLimits(...args: (string | number)[]): Promise<number>;
  linliAvailable(key: string, limit: number, windowMs: number): Promise<number>;
}

/** Options of {@link createRedisLimiter}. */
export interface RedisLimiterOptions {
  /** REDIS_URL, parsed the way the session store parses it. */
  url: string;
  /** Prepended to every key, so several towns or test runs can share one Redis. */
  keyPrefix: string;
  /** A command without a reply after this long counts as Redis being down. Default 2 seconds. */
  commandTimeoutMs?: number;
  logger: Logger;
}

/**
 * Connects to Redis and returns a {@link RateLimiter} on it: every process and
 * machine using the same Redis and prefix shares each window, and one Lua
 * script checks and takes all the windows of a request atomically, so together
 * they never exceed one limit.
 *
 * While Redis is unreachable every request is allowed (and the outage logged
 * once): these limits guard against abuse and against the channels' own 429s,
 * and neither is worth refusing every resident for; the channels' retry-after
 * still paces the outbox meanwhile. Rejects at creation when Redis cannot be
 * reached, like the session store.
 */
export async function createRedisLimiter(options: RedisLimiterOptions): Promise<RateLimiter> {
  const logger = options.logger.child({ component: "redis-limiter" });
  const { client } = await connectRedis({
    url: options.url,
    commandTimeoutMs: options.commandTimeoutMs ?? 2_000,
    logger,
    what: "shared rate limits",
    scripts: {
      linliTakeLimits: { lua: TAKE },
      linliAvailable: { lua: AVAILABLE, numberOfKeys: 1 },
    },
  });
  const scripts = client as Redis & LimitScripts;
  const key = (limit: WindowLimit) => `${options.keyPrefix}limit:${limit.key}`;

  let failing = false;
  const failOpen =
    <T>(fallback: T) =>
    (error: unknown): T => {
      if (!failing) logger.warn("Redis did not answer a rate-limit check; requests are allowed until it does", { error });
      failing = true;
      return fallback;
    };
  const answered = <T>(value: T): T => {
    failing = false;
    return value;
  };

  return {
    async take(limits, cost = 1) {
      assertCostFits(limits, cost);
      if (limits.length === 0) return { allowed: true };
      const args = [limits.length, ...limits.map(key), cost, randomUUID(), ...limits.flatMap((limit) => [limit.limit, limit.windowMs])];
      const wait = await scripts.linliTakeLimits(...args).then(answered, failOpen(0));
      return wait <= 0 ? { allowed: true } : { allowed: false, retryAfterMs: wait };
    },
    async available(limit) {
      return scripts.linliAvailable(key(limit), limit.limit, limit.windowMs).then(answered, failOpen(limit.limit));
    },
    close: () => closeRedis(client),
  };
}
