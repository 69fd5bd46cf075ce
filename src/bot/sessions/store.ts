/**
 * Where sessions, per-session locks and delivery dedupe marks live. One interface
 * with two backends, so the dispatcher never knows which one it talks to: Redis
 * when `REDIS_URL` is set (several processes share it), memory otherwise (one
 * process, the embedded default). Values are opaque strings: the caller owns the
 * session format and validates it on read.
 */
export interface SessionStore {
  /** The value last written under `key`, or `undefined` if none or it expired. */
  read(key: string): Promise<string | undefined>;
  /** Stores `value` under `key`, replacing any earlier value; it expires `ttlMs` after this write. */
  write(key: string, value: string, ttlMs: number): Promise<void>;
  /** Forgets `key`; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Runs fn holding the key's lock. Callers for one key run strictly one at a
   * time: in arrival order within a process, and never concurrently across
   * processes sharing a Redis. Errors thrown by `fn` reach the caller unchanged;
   * the lock is released either way. Rejects with {@link LockTimeoutError} when
   * the lock could not be had in time (then `fn` did not run).
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Whether a delivery id was already recorded by markProcessed. Check and mark
   * under the session's lock: the pair is not atomic on its own.
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
 * The backend cannot be reached or refused to serve. Callers answer the user
 * that the service is temporarily unavailable instead of hanging or crashing;
 * `cause` keeps the backend's own error for the log.
 */
export class SessionStoreUnavailableError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = "SessionStoreUnavailableError";
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
