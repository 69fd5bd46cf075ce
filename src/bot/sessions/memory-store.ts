import { assertTtl, createKeyedQueue, runStep, type SessionStore } from "./store.ts";

/** Tuning for {@link createMemoryStore}; every field has a sensible default. */
export interface MemoryStoreOptions {
  /** The clock TTLs are measured on; tests inject one to expire entries without waiting. */
  now?: () => number;
  /** How often expired entries are swept even if nobody reads them again. Default one minute. */
  sweepIntervalMs?: number;
  /** Longest wait for a key's lock before a `LockTimeoutError`. Default 10 seconds. */
  lockWaitMs?: number;
  /**
   * Sessions, and delivery marks, kept at most. Beyond it the one written
   * least recently (the longest idle) is dropped, so made-up identities cost
   * bounded memory; its owner starts afresh. Default 100,000.
   */
  maxEntries?: number;
}

/** The memory store, plus what tests and diagnostics need to see that nothing leaks. */
export interface MemorySessionStore extends SessionStore {
  /** Drops every expired session and delivery mark now; returns how many were dropped. */
  sweep(): number;
  /** Current counts: stored sessions, delivery marks, and keys locked or waited for. */
  stats(): { sessions: number; processed: number; lockedKeys: number };
}

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * A {@link SessionStore} in this process's memory: the embedded default when no
 * Redis is configured. Good for exactly one process; everything is lost on restart,
 * which for short-lived conversations only means a resident starts over.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemorySessionStore {
  const now = options.now ?? Date.now;
  const lockWaitMs = options.lockWaitMs ?? 10_000;
  const maxEntries = options.maxEntries ?? 100_000;
  const sessions = new Map<string, Entry>();
  const processed = new Map<string, number>();
  const queue = createKeyedQueue();

  // Map order is insertion order and every write re-inserts, so the first key is the least recently written.
  const bounded = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    map.set(key, value);
    for (const oldest of map.keys()) {
      if (map.size <= maxEntries) break;
      map.delete(oldest);
    }
  };

  const live = (key: string): Entry | undefined => {
    const entry = sessions.get(key);
    if (entry && entry.expiresAt <= now()) {
      sessions.delete(key);
      return undefined;
    }
    return entry;
  };

  const isProcessed = (deliveryId: string): boolean => {
    const expiresAt = processed.get(deliveryId);
    if (expiresAt === undefined) return false;
    if (expiresAt <= now()) {
      processed.delete(deliveryId);
      return false;
    }
    return true;
  };

  const sweep = (): number => {
    const at = now();
    let dropped = 0;
    for (const [key, entry] of sessions) {
      if (entry.expiresAt <= at && sessions.delete(key)) dropped += 1;
    }
    for (const [id, expiresAt] of processed) {
      if (expiresAt <= at && processed.delete(id)) dropped += 1;
    }
    return dropped;
  };

  // Lazy expiry alone would keep every abandoned conversation forever; unref so
  // the sweep never keeps a finished process alive.
  const sweeper = setInterval(sweep, options.sweepIntervalMs ?? 60_000);
  sweeper.unref();

  return {
    withSession(key, deliveryId, step) {
      // The queue is the whole lock in one process; the commit needs no await to be atomic.
      return queue.run(key, lockWaitMs, async () => {
        if (isProcessed(deliveryId)) return { type: "already-processed" } as const;
        return runStep(
          live(key)?.value,
          async ({ value, ttlMs, processedTtlMs }) => {
            bounded(sessions, key, { value, expiresAt: now() + ttlMs });
            bounded(processed, deliveryId, now() + processedTtlMs);
          },
          step,
        );
      });
    },
    async read(key) {
      return live(key)?.value;
    },
    async write(key, value, ttlMs) {
      assertTtl(ttlMs);
      bounded(sessions, key, { value, expiresAt: now() + ttlMs });
    },
    async delete(key) {
      sessions.delete(key);
    },
    withLock(key, fn) {
      return queue.run(key, lockWaitMs, fn);
    },
    async wasProcessed(deliveryId) {
      return isProcessed(deliveryId);
    },
    async markProcessed(deliveryId, ttlMs) {
      assertTtl(ttlMs);
      bounded(processed, deliveryId, now() + ttlMs);
    },
    async ping() {
      return true;
    },
    async close() {
      clearInterval(sweeper);
      sessions.clear();
      processed.clear();
    },
    sweep,
    stats() {
      return { sessions: sessions.size, processed: processed.size, lockedKeys: queue.size };
    },
  };
}
