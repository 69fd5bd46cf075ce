/** Limits of one {@link SlidingWindowLimiter}. */
export interface RateLimit {
  /** Requests allowed per key within any window of `windowMs`. */
  limit: number;
  windowMs: number;
  /**
   * Keys remembered at most. When full, the key seen least recently is
   * forgotten, so a flood of fresh client ids or addresses costs bounded memory
   * (at most `maxKeys × limit` timestamps).
   */
  maxKeys: number;
}

/** What {@link SlidingWindowLimiter.hit} decided. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * An exact sliding-window limiter kept in process memory. It protects one web
 * chat process from a noisy client; with several processes behind a load
 * balancer each enforces its own share, which is acceptable for abuse control
 * (the dispatcher's per-session lock is what keeps state consistent).
 */
export class SlidingWindowLimiter {
  // Map iteration order is insertion order; a hit re-inserts its key, so the
  // first key is always the least recently seen one.
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly options: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key` unless it is over the limit, and says when to retry if so. */
  hit(key: string): RateDecision {
    const now = this.now();
    const since = now - this.options.windowMs;
    const previous = this.hits.get(key) ?? [];
    const recent = previous.filter((time) => time > since);
    this.hits.delete(key);
    if (recent.length >= this.options.limit) {
      this.hits.set(key, recent);
      const oldest = recent[0] ?? now;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + this.options.windowMs - now) / 1000)) };
    }
    recent.push(now);
    this.hits.set(key, recent);
    while (this.hits.size > this.options.maxKeys) {
      const leastRecent = this.hits.keys().next().value;
      if (leastRecent === undefined) break;
      this.hits.delete(leastRecent);
    }
    return { allowed: true };
  }

  /** How many keys are remembered now; lets tests check the memory bound. */
  get size(): number {
    return this.hits.size;
  }
}
