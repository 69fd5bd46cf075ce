import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, it } from "vitest";
import { createMemoryLimiter, type RateLimiter, type WindowLimit } from "../../../src/bot/limits/limiter.ts";
import { createRedisLimiter } from "../../../src/bot/limits/redis-limiter.ts";
import { testLogger } from "../../support/logs.ts";
import { freePort } from "../../support/global-setup.ts";
import { startRedisServer } from "../../support/redis-server.ts";

const silent = testLogger();

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A clock the test moves by hand, so no memory test waits for real time. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const limit = (key: string, count: number, windowMs: number): WindowLimit => ({ key, limit: count, windowMs });

describe("the memory limiter", () => {
  it("refuses the request over the limit and says how long until the oldest one leaves the window", async () => {
    const clock = manualClock();
    const limiter = createMemoryLimiter({ now: clock.now });
    const a = limit("a", 3, 10_000);
    expect(await limiter.take([a])).toEqual({ allowed: true });
    clock.advance(2_500);
    expect(await limiter.take([a])).toEqual({ allowed: true });
    expect(await limiter.take([a])).toEqual({ allowed: true });
    expect(await limiter.take([a])).toEqual({ allowed: false, retryAfterMs: 7_500 });
    expect(await limiter.take([limit("b", 3, 10_000)])).toEqual({ allowed: true });
  });

  it("allows a key again once its oldest request has left the window, and refusals do not count", async () => {
    const clock = manualClock();
    const limiter = createMemoryLimiter({ now: clock.now });
    const a = limit("a", 2, 10_000);
    await limiter.take([a]);
    clock.advance(5_000);
    await limiter.take([a]);
    expect((await limiter.take([a])).allowed).toBe(false);
    clock.advance(5_000);
    expect(await limiter.take([a])).toEqual({ allowed: true });
    expect(await limiter.take([a])).toEqual({ allowed: false, retryAfterMs: 5_000 });
  });

  it("takes a cost under several limits at once or under none, and waits for the one that is full", async () => {
    const clock = manualClock();
    const limiter = createMemoryLimiter({ now: clock.now });
    const chat = limit("chat", 20, 60_000);
    const channel = limit("channel", 3, 1_000);
    expect(await limiter.take([chat, channel], 3)).toEqual({ allowed: true });
    expect(await limiter.take([chat, channel], 1)).toEqual({ allowed: false, retryAfterMs: 1_000 });
    // The refusal took nothing from the chat's window.
    expect(await limiter.available(chat)).toBe(17);
    await expect(limiter.take([channel], 4)).rejects.toThrow(RangeError);
  });

  it("forgets the least recently used key when full, and keys whose window has emptied", async () => {
    const clock = manualClock();
    const limiter = createMemoryLimiter({ now: clock.now, maxKeys: 2 });
    await limiter.take([limit("old", 1, 10_000)]);
    await limiter.take([limit("middle", 1, 10_000)]);
    expect((await limiter.take([limit("old", 1, 10_000)])).allowed).toBe(false);
    await limiter.take([limit("new", 1, 10_000)]);
    expect(limiter.size).toBe(2);
    // "middle" was used least recently, so it was forgotten and starts afresh.
    expect(await limiter.take([limit("middle", 1, 10_000)])).toEqual({ allowed: true });
    clock.advance(10_000);
    await limiter.take([limit("fresh", 1, 10_000)]);
    expect(limiter.size).toBe(1);
  });
});

describe("the Redis limiter", () => {
  const open = async (url = inject("redisUrl"), keyPrefix = `test:${randomUUID()}:`): Promise<RateLimiter> => {
    const limiter = await createRedisLimiter({ url, keyPrefix, logger: silent, commandTimeoutMs: 500 });
    cleanups.push(() => limiter.close());
    return limiter;
  };

  it("lets two processes' limiters on one Redis together take no more than the limit, however their requests interleave", async () => {
    const prefix = `test:${randomUUID()}:`;
    const [first, second] = await Promise.all([open(undefined, prefix), open(undefined, prefix)]);
    const group = limit("group", 20, 60_000);
    const decisions = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? first : second).take([group])));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(20);
    const refused = decisions.filter((decision) => !decision.allowed);
    expect(refused).toHaveLength(40);
    for (const decision of refused) {
      expect(decision.retryAfterMs).toBeGreaterThan(55_000);
      expect(decision.retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    expect(await second.available(group)).toBe(0);
  });

  it("refuses within the window, allows again once the oldest unit has left it, and takes several limits at once or not at all", async () => {
    const limiter = await open();
    const chat = limit("chat", 2, 400);
    const channel = limit("channel", 5, 400);
    expect(await limiter.take([chat, channel], 2)).toEqual({ allowed: true });
    const refused = await limiter.take([chat, channel]);
    expect(refused.allowed).toBe(false);
    expect(await limiter.available(channel)).toBe(3);
    if (refused.allowed) return;
    await sleep(refused.retryAfterMs + 20);
    expect(await limiter.take([chat, channel], 2)).toEqual({ allowed: true });
    await expect(limiter.take([chat], 3)).rejects.toThrow(RangeError);
  });

  it("keeps a window in Redis no longer than the window itself", async () => {
    const prefix = `test:${randomUUID()}:`;
    const limiter = await open(undefined, prefix);
    await limiter.take([limit("short", 5, 300)]);
    const redis = new Redis(inject("redisUrl"));
    cleanups.push(async () => redis.quit());
    const ttl = await redis.pttl(`${prefix}limit:short`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
  });

  it("allows requests while Redis is down and counts again once it is back", async () => {
    const port = await freePort();
    let server = await startRedisServer(port);
    cleanups.push(() => server.kill());
    const limiter = await open(server.url);
    const one = limit("one", 1, 60_000);
    expect(await limiter.take([one])).toEqual({ allowed: true });
    await server.kill();
    expect(await limiter.take([one])).toEqual({ allowed: true });
    server = await startRedisServer(port);
    // The restarted server is empty; once the limiter reaches it, the window fills and refuses again.
    let refused = false;
    for (let attempt = 0; attempt < 100 && !refused; attempt++) {
      await sleep(50);
      refused = !(await limiter.take([one])).allowed;
    }
    expect(refused).toBe(true);
    expect(await limiter.available(one)).toBe(0);
  });
});
