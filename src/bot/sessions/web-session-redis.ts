import type { StoredWebSession, WebSessionStore } from "../../domain/staff/web-sessions.ts";
import type { Logger } from "../../log.ts";
import { closeRedis, connectRedis } from "../redis/connect.ts";

/** Options of {@link createRedisWebSessionStore}. */
export interface RedisWebSessionStoreOptions {
  /** REDIS_URL. */
  url: string;
  /** Put before every key, like the chat sessions' (`linli:<town>:`). */
  keyPrefix: string;
  logger: Logger;
  commandTimeoutMs?: number;
}

/** A web session store on Redis that can be closed with the process. */
export interface RedisWebSessionStore extends WebSessionStore {
  close(): Promise<void>;
}

/** The JSON a session is kept as: dates as epoch milliseconds. */
interface StoredJson {
  staffId: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  endsAt: number;
}

/**
 * Staff web console sessions on Redis, used when REDIS_URL is set so every
 * worker and machine sees the same sessions. A session is one key
 * (`<prefix>console:session:<id hash>`) that Redis expires at its
 * `forgetAfter`, an absolute time; each member has a set of their sessions' hashes
 * (`<prefix>console:staff:<staff id>`) so revoking them can end them all. The
 * set may name sessions that expired already; deleting those is harmless.
 */
export async function createRedisWebSessionStore(options: RedisWebSessionStoreOptions): Promise<RedisWebSessionStore> {
  const { client } = await connectRedis({
    url: options.url,
    commandTimeoutMs: options.commandTimeoutMs ?? 2_000,
    logger: options.logger.child({ component: "redis-web-sessions" }),
    what: "console sign-ins",
  });
  const sessionKey = (idHash: string) => `${options.keyPrefix}console:session:${idHash}`;
  const staffKey = (staffId: string) => `${options.keyPrefix}console:staff:${staffId}`;

  return {
    async read(idHash) {
      const text = await client.get(sessionKey(idHash));
      if (text === null) return undefined;
      const json = JSON.parse(text) as StoredJson;
      return {
        staffId: json.staffId,
        csrfToken: json.csrfToken,
        createdAt: new Date(json.createdAt),
        lastSeenAt: new Date(json.lastSeenAt),
        endsAt: new Date(json.endsAt),
      } satisfies StoredWebSession;
    },

    async write(idHash, session, forgetAfter) {
      const json: StoredJson = {
        staffId: session.staffId,
        csrfToken: session.csrfToken,
        createdAt: session.createdAt.getTime(),
        lastSeenAt: session.lastSeenAt.getTime(),
        endsAt: session.endsAt.getTime(),
      };
      // Expiry is absolute (PXAT), so it is the sessions' own clock that decides, not this machine's.
      // The member's set lasts as long as the longest of their sessions: NX sets its first expiry, GT only lengthens it.
      const members = staffKey(session.staffId);
      const results = await client
        .multi()
        .sadd(members, idHash)
        .pexpireat(members, session.endsAt.getTime(), "NX")
        .pexpireat(members, session.endsAt.getTime(), "GT")
        .set(sessionKey(idHash), JSON.stringify(json), "PXAT", forgetAfter.getTime())
        .exec();
      const failed = results?.find(([error]) => error !== null);
      if (!results || failed) throw failed?.[0] ?? new Error("Redis discarded the session's transaction");
    },

    async touch(idHash, lastSeenAt, forgetAfter) {
      const text = await client.get(sessionKey(idHash));
      if (text === null) return;
      const json = { ...(JSON.parse(text) as StoredJson), lastSeenAt: lastSeenAt.getTime() };
      // XX: only while the key still exists, so a touch racing a sign-out does not bring the session back.
      await client.set(sessionKey(idHash), JSON.stringify(json), "PXAT", forgetAfter.getTime(), "XX");
    },

    async delete(idHash) {
      await client.del(sessionKey(idHash));
    },

    async deleteAllOf(staffId) {
      const hashes = await client.smembers(staffKey(staffId));
      if (hashes.length === 0) return 0;
      const deleted = await client.del(...hashes.map(sessionKey));
      await client.del(staffKey(staffId));
      return deleted;
    },

    // Redis expires every session key at its forget-after time and a member's set with their last session.
    deleteEnded: async () => 0,

    close: () => closeRedis(client),
  };
}
