/**
 * One sliding-window limit: at most `limit` units under one key in any
 * `windowMs`. Unlike a token bucket, which lets a full burst go and then
 * refills, no window ever holds more than the limit, which is how Telegram and
 * WeCom count ("20 a minute into one group").
 */
export interface WindowLimit {
  /** Names what is counted, e.g. `web:address:203.0.113.7`; a key is always used with the same limit and window. */
  key: string;
  limit: number;
  windowMs: number;
}

/** A limit and window without its key: one rule applied to many keys (every client, every address). */
export type WindowRule = Omit<WindowLimit, "key">;

/** The limit `rule` sets on `key`. */
export function limitOn(rule: WindowRule, key: string): WindowLimit {
  return { key, limit: rule.limit, windowMs: rule.windowMs };
}

/** What {@link RateLimiter.take} decided. */
export type LimitDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Shared rate limits. With several processes (WORKERS=N) or several machines
 * they must all use one backend (Redis) so that together they stay within one
 * limit; the memory backend is for one process (the embedded default).
 */
export interface RateLimiter {
  /**
   * Counts `cost` units (default 1) under every one of `limits` at once, or
   * under none: allowed only when each window has room for `cost` more. A
   * refusal counts nothing and says how long until all of them would have room.
   * Throws RangeError for a cost above any of the limits, which could never be allowed.
   */
  take(limits: readonly WindowLimit[], cost?: number): Promise<LimitDecision>;
  /** Units `limit.key` could take now, without taking them. */
  available(limit: WindowLimit): Promise<number>;
  /** Releases the backend's connection; the memory backend just forgets. */
  close(): Promise<void>;
}

/** Options of {@link createMemoryLimiter}. */
export interface MemoryLimiterOptions {
  /** The clock windows are measured on; tests and the outbox worker inject theirs. */
  now?: () => number;
  /**
   * Keys remembered at most. When full, the key used least recently is
   * forgotten, so a flood of fresh client ids or addresses costs bounded memory
   * (at most `maxKeys × limit` timestamps). Default 100,000.
   */
  maxKeys?: number;
}

/** Throws for a request that no window could ever allow. */
export function assertCostFits(limits: readonly WindowLimit[], cost: number): void {
  if (!Number.isInteger(cost) || cost < 1) throw new RangeError(`A cost must be a whole number of at least 1, got ${cost}`);
  for (const limit of limits) {
    if (cost > limit.limit) throw new RangeError(`A cost of ${cost} can never fit the limit of ${limit.limit} on ${limit.key}`);
  }
}

/**
 * A {@link RateLimiter} in this process's memory. Keys whose window is empty
 * are dropped as they are met, so memory follows the keys active within their
 * window, and never exceeds `maxKeys`.
 */
export function createMemoryLimiter(options: MemoryLimiterOptions = {}): RateLimiter & { readonly size: number } {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  // Map iteration order is insertion order; a use re-inserts its key, so the
  // first key is always the least recently used one.
  const windows = new Map<string, { windowMs: number; times: number[] }>();

  /** The key's timestamps still inside its window, oldest first, moved to the most recently used end. */
  const recent = (limit: WindowLimit, at: number): number[] => {
    const times = (windows.get(limit.key)?.times ?? []).filter((time) => time > at - limit.windowMs);
    windows.delete(limit.key);
    windows.set(limit.key, { windowMs: limit.windowMs, times });
    return times;
  };

  const waitMs = (times: number[], limit: WindowLimit, cost: number, at: number): number => {
    const excess = times.length + cost - limit.limit;
    return excess <= 0 ? 0 : (times[excess - 1] ?? at) + limit.windowMs - at;
  };

  /** Drops keys from the least recently used end while there are too many or their window has emptied. */
  const forget = (at: number) => {
    for (const [key, { windowMs, times }] of windows) {
      const idle = (times.at(-1) ?? -Infinity) <= at - windowMs;
      if (windows.size <= maxKeys && !idle) break;
      windows.delete(key);
    }
  };

  return {
    async take(limits, cost = 1) {
      assertCostFits(limits, cost);
      const at = now();
      const counted = limits.map((limit) => ({ limit, times: recent(limit, at) }));
      const wait = Math.max(0, ...counted.map(({ limit, times }) => waitMs(times, limit, cost, at)));
      if (wait === 0) for (const { times } of counted) for (let i = 0; i < cost; i++) times.push(at);
      forget(at);
      return wait === 0 ? { allowed: true } : { allowed: false, retryAfterMs: wait };
    },
    async available(limit) {
      const at = now();
      const free = limit.limit - recent(limit, at).length;
      forget(at);
      return free;
    },
    async close() {
      windows.clear();
    },
    get size() {
      return windows.size;
    },
  };
}

/** Whole seconds to tell an HTTP client to wait (`Retry-After`), at least 1. */
export function retryAfterSeconds(decision: { retryAfterMs: number }): number {
  return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
}
