import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { Logger } from "../../log.ts";
import { closeRedis, connectRedis, describeWithoutCredentials, messageOf, type RedisConnection } from "../redis/connect.ts";
import {
  assertTtl,
  createKeyedQueue,
  LockLostError,
  LockTimeoutError,
  runStep,
  SessionStoreUnavailableError,
  type SessionStore,
} from "./store.ts";

/** Where and how {@link createRedisStore} keeps its data. */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL, credentials and database number included. */
  url: string;
  /** Prepended to every key so several towns or test runs can share one Redis. Default `linli:`. */
  keyPrefix?: string;
  /**
   * How long a lock survives a holder that died without releasing it. A live
   * holder keeps extending it, so this bounds only the wait after a crash. Default 10 seconds.
   */
  lockTtlMs?: number;
  /** Longest wait for a key's lock, queueing in this process included, before `LockTimeoutError`. Default 10 seconds. */
  lockWaitMs?: number;
  /** A command without a reply after this long fails as unavailable instead of hanging. Default 2 seconds. */
  commandTimeoutMs?: number;
  logger: Logger;
}

// Compare-and-act scripts: a holder whose lock already expired and was taken by
// someone else must neither delete nor prolong the new holder's lock.
const RELEASE_LOCK = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const EXTEND_LOCK = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

// The two round trips of an update. Begin takes the lock and answers with what
// the dispatcher needs next; a delivery already handled gives the lock straight
// back, so a repeat costs one round trip. Replies: {0} lock busy, {1} already
// processed, {2, session or nil}.
// KEYS: lock, seen mark, session. ARGV: token, lock TTL.
const BEGIN_UPDATE = `
if not redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return {0} end
if redis.call("exists", KEYS[2]) == 1 then
  redis.call("del", KEYS[1])
  return {1}
end
return {2, redis.call("get", KEYS[3])}`;
// Commit saves the session before the mark in one script, so neither is ever
// stored without the other, and only while the caller's token still holds the lock.
// KEYS: lock, session, seen mark. ARGV: token, session, session TTL, mark TTL. Replies 1 committed, 0 lock lost.
const COMMIT_UPDATE = `
if redis.call("get", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("set", KEYS[2], ARGV[2], "PX", ARGV[3])
redis.call("set", KEYS[3], "1", "PX", ARGV[4])
redis.call("del", KEYS[1])
return 1`;

/** BEGIN_UPDATE's reply as ioredis decodes it. */
type BeginReply = [0] | [1] | [2, string | null];

/** The commands ioredis defines from the `scripts` option; its types cannot know them. */
interface LockScripts {
  linliReleaseLock(lockKey: string, token: string): Promise<number>;
  linliExtendLock(lockKey: string, token: string, ttlMs: number): Promise<number>;
  linliBeginUpdate(lockKey: string, seenKey: string, sessionKey: string, token: string, lockTtlMs: number): Promise<BeginReply>;
  linliCommitUpdate(
    lockKey: string,
    sessionKey: string,
    seenKey: string,
    token: string,
    value: string,
    ttlMs: number,
    processedTtlMs: number,
  ): Promise<number>;
}

/**
 * Connects to Redis and returns a {@link SessionStore} on it: the store for
 * deployments with several processes, since sessions, locks and dedupe marks all
 * live in Redis and nothing per user stays in process memory except callers
 * currently queued for a lock.
 *
 * Rejects with {@link SessionStoreUnavailableError} if Redis cannot be reached
 * now, so a misconfigured `REDIS_URL` stops start-up with a clear message. Once
 * running, commands never wait for an outage to end: while Redis is down every
 * operation rejects quickly with {@link SessionStoreUnavailableError}, and the
 * client reconnects on its own when Redis is back.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<SessionStore> {
  const prefix = options.keyPrefix ?? "linli:";
  const lockTtlMs = options.lockTtlMs ?? 10_000;
  const lockWaitMs = options.lockWaitMs ?? 10_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 2_000;
  assertTtl(lockTtlMs);
  const logger = options.logger.child({ component: "redis-session-store", redis: describeWithoutCredentials(options.url) });
  let connection: RedisConnection;
  try {
    connection = await connectRedis({
      url: options.url,
      commandTimeoutMs,
      logger,
      what: "session operations",
      scripts: {
        linliReleaseLock: { lua: RELEASE_LOCK, numberOfKeys: 1 },
        linliExtendLock: { lua: EXTEND_LOCK, numberOfKeys: 1 },
        linliBeginUpdate: { lua: BEGIN_UPDATE, numberOfKeys: 3 },
        linliCommitUpdate: { lua: COMMIT_UPDATE, numberOfKeys: 3 },
      },
    });
  } catch (error) {
    throw new SessionStoreUnavailableError(messageOf(error), { cause: error });
  }
  const { where } = connection;
  const client = connection.client as Redis & LockScripts;

  const run = async <T>(what: string, command: () => Promise<T>): Promise<T> => {
    try {
      return await command();
    } catch (error) {
      throw new SessionStoreUnavailableError(`Redis at ${where} failed to ${what}: ${messageOf(error)}`, { cause: error });
    }
  };

  const sessionKey = (key: string) => `${prefix}session:${key}`;
  const lockKey = (key: string) => `${prefix}lock:${key}`;
  const seenKey = (id: string) => `${prefix}seen:${id}`;
  const queue = createKeyedQueue();

  // Polls `take` until it gets the lock; `take` answers undefined while another holder has it.
  const acquire = async <R>(key: string, deadline: number, take: () => Promise<R | undefined>): Promise<R> => {
    for (;;) {
      const taken = await take();
      if (taken !== undefined) return taken;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new LockTimeoutError(key, lockWaitMs);
      // Jitter keeps waiting processes from polling in lockstep.
      await sleep(Math.min(remaining, 10 + Math.random() * 30));
    }
  };

  const release = async (key: string, token: string): Promise<void> => {
    try {
      await client.linliReleaseLock(lockKey(key), token);
    } catch (error) {
      // Not fatal: the lock expires by itself after lockTtlMs.
      logger.warn("Could not release a session lock; it will expire on its own", { error, lockTtlMs });
    }
  };

  // A slow update (a flow waiting on an outside API) must not lose its lock
  // halfway, or another process would run the same session concurrently.
  const keepExtended = (key: string, token: string): (() => void) => {
    const timer = setInterval(
      () => {
        client.linliExtendLock(lockKey(key), token, lockTtlMs).then(
          (extended) => {
            if (extended === 0) {
              logger.error("A session lock expired while its update was still running; updates of this session may have overlapped", {
                lockTtlMs,
              });
              clearInterval(timer);
            }
          },
          (error: unknown) => logger.warn("Could not extend a session lock; retrying", { error }),
        );
      },
      Math.max(1, Math.floor(lockTtlMs / 2)),
    );
    timer.unref();
    return () => clearInterval(timer);
  };

  return {
    async read(key) {
      const value = await run("read a session", () => client.get(sessionKey(key)));
      return value ?? undefined;
    },
    async write(key, value, ttlMs) {
      assertTtl(ttlMs);
      await run("write a session", () => client.set(sessionKey(key), value, "PX", ttlMs));
    },
    async delete(key) {
      await run("delete a session", () => client.del(sessionKey(key)));
    },
    withSession(key, deliveryId, step) {
      const deadline = Date.now() + lockWaitMs;
      return queue.run(key, lockWaitMs, async () => {
        const token = randomUUID();
        const begun = await acquire(key, deadline, async () => {
          const reply = await run("take a session lock", () =>
            client.linliBeginUpdate(lockKey(key), seenKey(deliveryId), sessionKey(key), token, lockTtlMs),
          );
          return reply[0] === 0 ? undefined : reply;
        });
        if (begun[0] === 1) return { type: "already-processed" } as const;
        const stopExtending = keepExtended(key, token);
        let released = false;
        try {
          return await runStep(
            begun[1] ?? undefined,
            async ({ value, ttlMs, processedTtlMs }) => {
              stopExtending();
              const committed = await run("save a session", () =>
                client.linliCommitUpdate(lockKey(key), sessionKey(key), seenKey(deliveryId), token, value, ttlMs, processedTtlMs),
              );
              released = true;
              if (committed === 0) throw new LockLostError(key);
            },
            step,
          );
        } finally {
          stopExtending();
          if (!released) await release(key, token);
        }
      });
    },
    withLock(key, fn) {
      const deadline = Date.now() + lockWaitMs;
      return queue.run(key, lockWaitMs, async () => {
        const token = randomUUID();
        await acquire(key, deadline, async () => {
          const taken = await run("take a session lock", () => client.set(lockKey(key), token, "PX", lockTtlMs, "NX"));
          return taken === "OK" ? taken : undefined;
        });
        const stopExtending = keepExtended(key, token);
        try {
          return await fn();
        } finally {
          stopExtending();
          await release(key, token);
        }
      });
    },
    async wasProcessed(deliveryId) {
      return (await run("check a delivery id", () => client.exists(seenKey(deliveryId)))) === 1;
    },
    async markProcessed(deliveryId, ttlMs) {
      assertTtl(ttlMs);
      await run("record a delivery id", () => client.set(seenKey(deliveryId), "1", "PX", ttlMs));
    },
    async ping() {
      try {
        return (await client.ping()) === "PONG";
      } catch {
        return false;
      }
    },
    async close() {
      await closeRedis(client);
    },
  };
}
