/**
 * Where sessions, per-session locks and delivery dedupe marks live. One interface
 * with two backends, so the dispatcher never knows which one it talks to: Redis
 * when `REDIS_URL` is set (several processes share it), memory otherwise (one
 * process, the embedded default). Values are opaque strings: the caller owns the
 * session format and validates it on read.
 */
export interface SessionStore {
  /**
   * Handles one delivery of a conversation: the dispatcher's whole use of the
   * store, shaped so Redis serves an update in two round trips (one to take the
   * lock and learn both the delivery's mark and the session, one to
   * {@link LockedSession.commit}) instead of six, which is what bounds updates/s.
   *
   * Holds `key`'s lock with the same guarantees as {@link SessionStore.withLock}
   * (arrival order within a process, never two holders across processes, a slow
   * `step` keeps its lock). When `deliveryId` was already committed the lock is
   * given up at once and `step` does not run: the channel repeated a delivery that
   * was answered. Otherwise `step` gets the session as stored when the lock was
   * taken. If `step` throws or returns without committing, nothing is saved, the
   * delivery stays unmarked so a redelivery is processed, and the error reaches
   * the caller unchanged. Rejects with {@link LockTimeoutError} or
   * {@link SessionStoreUnavailableError} before `step` runs when the lock cannot
   * be had.
   */
  withSession<T>(key: string, deliveryId: string, step: (session: LockedSession) => Promise<T>): Promise<SessionTurn<T>>;
  /** The value last written under `key`, or `undefined` if none or it expired. */
  read(key: string): Promise<string | undefined>;
  /** Stores `value` under `key`, replacing any earlier value; it expires `ttlMs` after this write. */
  write(key: string, value: string, ttlMs: number): Promise<void>;
  /** Forgets `key`; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Runs fn holding the key's lock, for callers that keep something other than a
   * conversation (the web inbox, WeCom's replay marks). Callers for one key run
   * strictly one at a time: in arrival order within a process, and never
   * concurrently across processes sharing a Redis. Errors thrown by `fn` reach the
   * caller unchanged; the lock is released either way. Rejects with
   * {@link LockTimeoutError} when the lock could not be had in time (then `fn` did
   * not run).
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Whether a delivery id was already recorded by markProcessed or a commit. Check
   * and mark under the lock: the pair is not atomic on its own.
   */
  wasProcessed(deliveryId: string): Promise<boolean>;
  /** Records a delivery id as handled for `ttlMs`, long enough to outlive the channel's redelivery window. */
  markProcessed(deliveryId: string, ttlMs: number): Promise<void>;
  /** Whether the backend answers right now; for health checks, never throws. */
  ping(): Promise<boolean>;
  /** Releases connections and timers; the store must not be used afterwards. */
  close(): Promise<void>;
}

/**
 * How {@link SessionStore.withSession} ended: `already-processed` when the
 * delivery had been committed before (the step did not run), else the step's result.
 */
export type SessionTurn<T> = { type: "already-processed" } | { type: "ran"; result: T };

/** What a {@link SessionStore.withSession} step saves; both TTLs in milliseconds. */
export interface SessionCommit {
  /** The session to store, replacing the one the step was given. */
  value: string;
  /** How long the session outlives this commit. */
  ttlMs: number;
  /** How long the delivery stays marked; longer than the channel's redelivery window. */
  processedTtlMs: number;
}

/** The session a {@link SessionStore.withSession} step runs under, while it holds the lock. */
export interface LockedSession {
  /** The stored value when the lock was taken; `undefined` if none or it expired. */
  readonly value: string | undefined;
  /**
   * Saves the session and marks the delivery processed, all or nothing: a
   * delivery is never marked without its session saved (so a crash means the
   * redelivery is processed, not lost), and a session is never saved by a holder
   * whose lock lapsed and may have passed to someone else (that rejects with
   * {@link LockLostError}, nothing written). Redis gives the lock up in the same
   * round trip, so the next update of the session may start before the step
   * returns: call it at most once, as the step's last use of the store. On
   * {@link SessionStoreUnavailableError} the step may still finish, e.g. to tell
   * the user what already happened.
   */
  commit(save: SessionCommit): Promise<void>;
}

/**
 * The backend cannot be reached or refused to serve. Callers answer the user
 * that the service is temporarily unavailable instead of hanging or crashing;
 * `cause` keeps the backend's own error for the log.
 */
export class SessionStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = "SessionStoreUnavailableError";
  }
}

/**
 * A step's lock expired before it committed (the process stalled, or Redis was
 * unreachable for longer than the lock's TTL), so another holder may be running
 * the same session: the commit was refused rather than overwrite that holder's
 * session. It is a {@link SessionStoreUnavailableError} because the caller's
 * answer is the same: the session could not be saved this time.
 */
export class LockLostError extends SessionStoreUnavailableError {
  constructor(readonly key: string) {
    super(`The lock of session key "${key}" lapsed before its update committed; nothing was saved`);
    this.name = "LockLostError";
  }
}

/**
 * A caller waited longer than the configured maximum for a key's lock, usually
 * because an earlier update of the same session is stuck; `fn` was not run.
 */
export class LockTimeoutError extends Error {
  constructor(
    readonly key: string,
    readonly waitedMs: number,
  ) {
    super(`Waited ${waitedMs} ms for the lock of session key "${key}" without getting it`);
    this.name = "LockTimeoutError";
  }
}

/**
 * Rejects a TTL that would make an entry immortal or invalid for Redis `PX`; a
 * bad TTL is a programming error and must not silently keep data forever.
 */
export function assertTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`A TTL must be a positive whole number of milliseconds, got ${ttlMs}`);
}

/**
 * Runs a {@link SessionStore.withSession} step with a {@link LockedSession} whose
 * commit goes to the backend's `commit` at most once and only while the step
 * runs: after the step the lock belongs to the next caller, and a second commit
 * would mark a delivery twice or save over a newer session.
 */
export async function runStep<T>(
  value: string | undefined,
  commit: (save: SessionCommit) => Promise<void>,
  step: (session: LockedSession) => Promise<T>,
): Promise<SessionTurn<T>> {
  let state: "running" | "committed" | "finished" = "running";
  const session: LockedSession = {
    value,
    async commit(save) {
      if (state !== "running") throw new Error(`A session step may commit once, while it runs; this one is ${state}`);
      assertTtl(save.ttlMs);
      assertTtl(save.processedTtlMs);
      state = "committed";
      await commit(save);
    },
  };
  try {
    return { type: "ran", result: await step(session) };
  } finally {
    state = "finished";
  }
}

/**
 * Per-key first-in-first-out queue inside one process. Both stores put it in
 * front of their lock so callers of one key run in arrival order. A key's entry
 * exists only while somebody holds or waits for it, so idle users cost nothing.
 */
export interface KeyedQueue {
  /**
   * Runs `fn` once every earlier caller of `key` has finished. If that takes
   * longer than `waitMs`, rejects with {@link LockTimeoutError} without running
   * `fn`, and its place in line passes on when its predecessor finishes, so
   * later callers keep their order.
   */
  run<T>(key: string, waitMs: number, fn: () => Promise<T>): Promise<T>;
  /** How many keys are held or waited for now; 0 when idle. */
  readonly size: number;
}

/** Creates an empty {@link KeyedQueue}. */
export function createKeyedQueue(): KeyedQueue {
  // The tail of each key's chain: it settles when the last caller in line is done.
  const tails = new Map<string, Promise<void>>();

  return {
    get size() {
      return tails.size;
    },
    async run<T>(key: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
      const previous = tails.get(key);
      let release!: () => void;
      const mine = new Promise<void>((resolve) => {
        release = resolve;
      });
      tails.set(key, mine);
      const finish = () => {
        release();
        if (tails.get(key) === mine) tails.delete(key);
      };

      if (previous && !(await settlesWithin(previous, waitMs))) {
        void previous.then(finish);
        throw new LockTimeoutError(key, waitMs);
      }
      try {
        return await fn();
      } finally {
        finish();
      }
    },
  };
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
