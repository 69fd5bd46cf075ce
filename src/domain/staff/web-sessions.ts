import { createHash, randomBytes } from "node:crypto";
import type { StaffWebSession } from "../../generated/prisma/client.ts";

/**
 * A web console session as a store keeps it, under the SHA-256 of the id the
 * cookie carries: whoever reads the store cannot sign in with what they read.
 */
export type StoredWebSession = Pick<StaffWebSession, "staffId" | "csrfToken" | "createdAt" | "lastSeenAt" | "endsAt">;

/**
 * Where web console sessions are kept, server-side: the database
 * ({@link createDatabaseWebSessionStore}) or Redis when REDIS_URL is set
 * (src/bot/sessions/web-session-redis.ts). Stores only keep records; the
 * rules (idle timeout, absolute lifetime, CSRF token) are {@link createWebSessions}'.
 */
export interface WebSessionStore {
  /** The record under `idHash`, or undefined when there is none (a store may have forgotten one past `forgetAfter`). */
  read(idHash: string): Promise<StoredWebSession | undefined>;
  /** Stores a new record; the store may forget it after `forgetAfter`, when it can no longer be valid. */
  write(idHash: string, session: StoredWebSession, forgetAfter: Date): Promise<void>;
  /**
   * Records a request at `lastSeenAt` on an existing record and moves its
   * `forgetAfter`; does nothing when the record is gone, so a request racing a
   * sign-out (or a revocation) cannot bring the session back.
   */
  touch(idHash: string, lastSeenAt: Date, forgetAfter: Date): Promise<void>;
  /** Removes the record, if any. */
  delete(idHash: string): Promise<void>;
  /** Removes every record of one staff member ("sign out everywhere"); returns how many there were. */
  deleteAllOf(staffId: string): Promise<number>;
  /**
   * Removes the records that can no longer be valid at `now` under `policy`
   * (sessions nobody came back to are otherwise never read again); returns how
   * many. A store that forgets records by itself at `forgetAfter` has none.
   */
  deleteEnded(now: Date, policy: WebSessionPolicy): Promise<number>;
}

/** How long a session lives: ended after `idleMs` without a request, and `maxMs` after sign-in however active. */
export interface WebSessionPolicy {
  idleMs: number;
  maxMs: number;
}

/** 30 minutes idle, 12 hours at most: a working day at the desk, not a device left signed in overnight. */
export const DEFAULT_WEB_SESSION_POLICY: WebSessionPolicy = { idleMs: 30 * 60_000, maxMs: 12 * 3_600_000 };

/** A session just started: the id for the cookie (never stored as such) and its CSRF token. */
export interface StartedWebSession {
  sessionId: string;
  csrfToken: string;
  /** The end of its absolute lifetime, for the cookie's Max-Age. */
  endsAt: Date;
}

/** A live session as a request finds it. */
export interface LiveWebSession {
  staffId: string;
  csrfToken: string;
}

/**
 * Web console sessions: started on redeeming a sign-in link, resumed on every
 * console request, ended on sign-out, and all of one member's ended on revoking
 * them (the staff registry calls {@link WebSessions.endAllOf}).
 */
export interface WebSessions {
  start(staffId: string): Promise<StartedWebSession>;
  /**
   * The live session of a cookie's id with its idle timer restarted; undefined
   * when unknown, idle longer than the policy allows or past its lifetime (such
   * a record is deleted).
   */
  resume(sessionId: string): Promise<LiveWebSession | undefined>;
  end(sessionId: string): Promise<void>;
  endAllOf(staffId: string): Promise<void>;
  /** Deletes ended sessions the store still holds; run now and then by the scheduler. Returns how many. */
  sweep(): Promise<number>;
}

/** Creates the session rules over a store; `clock` is "now" (the system clock when absent). */
export function createWebSessions(deps: { store: WebSessionStore; policy?: WebSessionPolicy; clock?: () => Date }): WebSessions {
  const { store } = deps;
  const policy = deps.policy ?? DEFAULT_WEB_SESSION_POLICY;
  const clock = deps.clock ?? (() => new Date());
  const forgetAfter = (session: StoredWebSession) =>
    new Date(Math.min(session.lastSeenAt.getTime() + policy.idleMs, session.endsAt.getTime()));

  return {
    async start(staffId) {
      const sessionId = randomToken();
      const now = clock();
      const session: StoredWebSession = {
        staffId,
        csrfToken: randomToken(),
        createdAt: now,
        lastSeenAt: now,
        endsAt: new Date(now.getTime() + policy.maxMs),
      };
      await store.write(hashToken(sessionId), session, forgetAfter(session));
      return { sessionId, csrfToken: session.csrfToken, endsAt: session.endsAt };
    },

    async resume(sessionId) {
      const idHash = hashToken(sessionId);
      const session = await store.read(idHash);
      if (!session) return undefined;
      const now = clock();
      if (now.getTime() >= forgetAfter(session).getTime()) {
        await store.delete(idHash);
        return undefined;
      }
      await store.touch(idHash, now, forgetAfter({ ...session, lastSeenAt: now }));
      return { staffId: session.staffId, csrfToken: session.csrfToken };
    },

    async end(sessionId) {
      await store.delete(hashToken(sessionId));
    },

    async endAllOf(staffId) {
      await store.deleteAllOf(staffId);
    },

    sweep: () => store.deleteEnded(clock(), policy),
  };
}

/** 32 random bytes, URL-safe: sign-in tokens, session ids and CSRF tokens. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** SHA-256 of a token, hex: what is stored instead of a sign-in token or a session id. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
