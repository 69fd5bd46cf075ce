import { describe, expect, it } from "vitest";
import { SlidingWindowLimiter } from "../../../../src/bot/channels/web/rate-limit.ts";

/** A clock the test moves by hand, so no test waits for real time. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("the sliding-window limiter", () => {
  it("refuses the request over the limit and says how long until the oldest one leaves the window", () => {
    const clock = manualClock();
    const limiter = new SlidingWindowLimiter({ limit: 3, windowMs: 10_000, maxKeys: 10 }, clock.now);
    expect(limiter.hit("a")).toEqual({ allowed: true });
    clock.advance(2_500);
    expect(limiter.hit("a")).toEqual({ allowed: true });
    expect(limiter.hit("a")).toEqual({ allowed: true });
    expect(limiter.hit("a")).toEqual({ allowed: false, retryAfterSeconds: 8 });
    expect(limiter.hit("b")).toEqual({ allowed: true });
  });

  it("allows a key again once its oldest request has left the window, and refusals do not count", () => {
    const clock = manualClock();
    const limiter = new SlidingWindowLimiter({ limit: 2, windowMs: 10_000, maxKeys: 10 }, clock.now);
    limiter.hit("a");
    clock.advance(5_000);
    limiter.hit("a");
    expect(limiter.hit("a").allowed).toBe(false);
    clock.advance(5_001);
    expect(limiter.hit("a")).toEqual({ allowed: true });
    expect(limiter.hit("a")).toEqual({ allowed: false, retryAfterSeconds: 5 });
  });

  it("forgets the least recently seen key when it holds as many keys as allowed", () => {
    const clock = manualClock();
    const limiter = new SlidingWindowLimiter({ limit: 1, windowMs: 10_000, maxKeys: 2 }, clock.now);
    limiter.hit("old");
    limiter.hit("middle");
    expect(limiter.hit("old").allowed).toBe(false);
    limiter.hit("new");
    expect(limiter.size).toBe(2);
    // "middle" was seen least recently, so it was forgotten and starts afresh.
    expect(limiter.hit("middle")).toEqual({ allowed: true });
    expect(limiter.hit("new").allowed).toBe(false);
  });
});
