import { startRedisServer, type RedisServer } from "../../support/redis-server.ts";
import { randomUUID } from "node:crypto";
import { setImmediate as tick, setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterEach, describe, expect, inject, it } from "vitest";
import { testLogger } from "../../support/logs.ts";
import { createMemoryStore, type MemorySessionStore } from "../../../src/bot/sessions/memory-store.ts";
import { createRedisStore, type RedisStoreOptions } from "../../../src/bot/sessions/redis-store.ts";
import {
  createKeyedQueue,
  LockLostError,
  LockTimeoutError,
  SessionStoreUnavailableError,
  type SessionCommit,
  type SessionStore,
} from "../../../src/bot/sessions/store.ts";
import { freePort } from "../../support/global-setup.ts";

const silent = testLogger();

/** Everything opened by a test, closed after it whatever happened. */
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Polls `check` until it holds; real time only bounds how long a broken store may take to show it. */
async function until(check: () => Promise<boolean> | boolean, what: string, limitMs = 5_000): Promise<void> {
  const giveUpAt = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`Gave up waiting until ${what}`);
    await sleep(10);
  }
}

/** A promise with its resolver, to hold an update inside its lock until the test lets go. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** A commit that keeps the session and the delivery mark for a minute. */
const kept = (value: string): SessionCommit => ({ value, ttlMs: 60_000, processedTtlMs: 60_000 });

interface Harness {
  /** A fresh, empty store; closed after the test. */
  create(options?: { lockWaitMs?: number }): Promise<SessionStore>;
  /** Lets `ms` of store time pass: the memory store moves its clock, Redis counts on the caller polling real time. */
  pass(ms: number): void;
}

const backends: { name: string; harness: () => Harness }[] = [
  {
    name: "the memory store",
    harness: () => {
      let clock = 1_700_000_000_000;
      return {
        async create(options) {
          const store = createMemoryStore({ now: () => clock, ...options });
          cleanups.push(() => store.close());
          return store;
        },
        pass(ms) {
          clock += ms;
        },
      };
    },
  },
  {
    name: "the Redis store",
    harness: () => ({
      async create(options) {
        const store = await createRedisStore({ url: inject("redisUrl"), keyPrefix: `test:${randomUUID()}:`, logger: silent, ...options });
        cleanups.push(() => store.close());
        return store;
      },
      pass() {},
    }),
  },
];

describe.each(backends)("$name", ({ harness: makeHarness }) => {
  it("a written session is read back, replaced by a later write and gone after delete", async () => {
    const store = await makeHarness().create();
    expect(await store.read("telegram:1:1")).toBeUndefined();
    await store.write("telegram:1:1", '{"v":1}', 60_000);
    await store.write("web:2:2", "其他人", 60_000);
    expect(await store.read("telegram:1:1")).toBe('{"v":1}');
    await store.write("telegram:1:1", '{"v":2,"text":"紫竹半岛"}', 60_000);
    expect(await store.read("telegram:1:1")).toBe('{"v":2,"text":"紫竹半岛"}');
    await store.delete("telegram:1:1");
    await store.delete("never-written");
    expect(await store.read("telegram:1:1")).toBeUndefined();
    expect(await store.read("web:2:2")).toBe("其他人");
  });

  it("a session expires after its TTL while a longer-lived one stays", async () => {
    const harness = makeHarness();
    const store = await harness.create();
    await store.write("short", "idle soon", 50);
    await store.write("long", "still talking", 60_000);
    harness.pass(50);
    await until(async () => (await store.read("short")) === undefined, "the short-lived session expired");
    expect(await store.read("long")).toBe("still talking");
  });

  it("a TTL that is not a positive whole number of milliseconds is refused", async () => {
    const store = await makeHarness().create();
    await expect(store.write("k", "v", 0)).rejects.toBeInstanceOf(RangeError);
    await expect(store.markProcessed("d", -5)).rejects.toBeInstanceOf(RangeError);
    expect(await store.read("k")).toBeUndefined();
  });

  it("a delivery id counts as processed once marked, and no longer after its TTL", async () => {
    const harness = makeHarness();
    const store = await harness.create();
    expect(await store.wasProcessed("telegram:update:1")).toBe(false);
    await store.markProcessed("telegram:update:1", 60_000);
    await store.markProcessed("telegram:update:2", 50);
    expect(await store.wasProcessed("telegram:update:1")).toBe(true);
    expect(await store.wasProcessed("telegram:update:3")).toBe(false);
    harness.pass(50);
    await until(async () => !(await store.wasProcessed("telegram:update:2")), "the short-lived delivery mark expired");
    expect(await store.wasProcessed("telegram:update:1")).toBe(true);
  });

  it("50 updates from one user at once are processed in order and state stays intact", async () => {
    const store = await makeHarness().create();
    const started: number[] = [];
    const updates = Array.from({ length: 50 }, (_, index) =>
      store.withLock("telegram:42:42", async () => {
        started.push(index);
        const seen = JSON.parse((await store.read("telegram:42:42")) ?? "[]") as number[];
        await tick();
        await store.write("telegram:42:42", JSON.stringify([...seen, index]), 60_000);
        return index;
      }),
    );
    const expected = Array.from({ length: 50 }, (_, index) => index);
    expect(await Promise.all(updates)).toEqual(expected);
    expect(started).toEqual(expected);
    expect(JSON.parse((await store.read("telegram:42:42")) ?? "null")).toEqual(expected);
  });

  it("updates of different users do not wait for each other", async () => {
    const store = await makeHarness().create({ lockWaitMs: 2_000 });
    const other = gate();
    const first = store.withLock("user:a", async () => {
      await other.opened;
      return "a finished after b";
    });
    const second = store.withLock("user:b", async () => {
      other.open();
      return "b ran while a held its lock";
    });
    expect(await second).toBe("b ran while a held its lock");
    expect(await first).toBe("a finished after b");
  });

  it("an error inside an update reaches its caller unchanged and the next update still runs", async () => {
    const store = await makeHarness().create();
    const failure = new Error("flow crashed");
    const failing = store.withLock("user:c", async () => {
      throw failure;
    });
    const next = store.withLock("user:c", async () => "next update ran");
    await expect(failing).rejects.toBe(failure);
    expect(await next).toBe("next update ran");
  });

  it("an update that waits too long for its lock gets LockTimeoutError and later updates keep their turn", async () => {
    const store = await makeHarness().create({ lockWaitMs: 100 });
    const stuck = gate();
    const ran: string[] = [];
    const holder = store.withLock("user:d", async () => {
      await stuck.opened;
      ran.push("holder");
    });
    const impatient = store.withLock("user:d", async () => {
      ran.push("impatient");
    });
    await expect(impatient).rejects.toMatchObject({ name: "LockTimeoutError", key: "user:d" });
    await expect(impatient).rejects.toBeInstanceOf(LockTimeoutError);
    const later = store.withLock("user:d", async () => {
      ran.push("later");
    });
    stuck.open();
    await holder;
    await later;
    expect(ran).toEqual(["holder", "later"]);
  });

  it("an update is handed the stored session, and its commit saves the next one and marks the delivery", async () => {
    const store = await makeHarness().create();
    const first = await store.withSession("telegram:1:1", "telegram:update:1", async (session) => {
      await session.commit(kept('{"step":1}'));
      return session.value;
    });
    expect(first).toEqual({ type: "ran", result: undefined });
    expect(await store.read("telegram:1:1")).toBe('{"step":1}');
    expect(await store.wasProcessed("telegram:update:1")).toBe(true);
    const second = await store.withSession("telegram:1:1", "telegram:update:2", async (session) => {
      await session.commit(kept('{"step":2}'));
      return session.value;
    });
    expect(second).toEqual({ type: "ran", result: '{"step":1}' });
    expect(await store.read("telegram:1:1")).toBe('{"step":2}');
  });

  it("a delivery that was committed before is not run again, and its session is left as it was", async () => {
    const store = await makeHarness().create();
    await store.withSession("telegram:2:2", "telegram:update:7", (session) => session.commit(kept("answered once")));
    let ranAgain = false;
    const repeat = await store.withSession("telegram:2:2", "telegram:update:7", async (session) => {
      ranAgain = true;
      await session.commit(kept("answered twice"));
    });
    expect(repeat).toEqual({ type: "already-processed" });
    expect(ranAgain).toBe(false);
    expect(await store.read("telegram:2:2")).toBe("answered once");
    expect(await store.withSession("telegram:2:2", "telegram:update:8", async () => "the lock was given back")).toEqual({
      type: "ran",
      result: "the lock was given back",
    });
  });

  it("an update that fails or never commits saves nothing and leaves its delivery to be processed again", async () => {
    const store = await makeHarness().create();
    await store.write("web:3:3", "before", 60_000);
    const failure = new Error("flow crashed");
    await expect(store.withSession("web:3:3", "web:msg:1", async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await store.withSession("web:3:3", "web:msg:2", async () => "no commit")).toEqual({ type: "ran", result: "no commit" });
    expect(await store.read("web:3:3")).toBe("before");
    expect(await store.wasProcessed("web:msg:1")).toBe(false);
    expect(await store.wasProcessed("web:msg:2")).toBe(false);
    const retried = await store.withSession("web:3:3", "web:msg:1", async (session) => {
      await session.commit(kept("after"));
      return session.value;
    });
    expect(retried).toEqual({ type: "ran", result: "before" });
    expect(await store.read("web:3:3")).toBe("after");
  });

  it("a committed session and its delivery mark each expire after their own TTL", async () => {
    const harness = makeHarness();
    const store = await harness.create();
    await store.withSession("web:4:4", "web:msg:4", (session) =>
      session.commit({ value: "short-lived", ttlMs: 50, processedTtlMs: 60_000 }),
    );
    await store.withSession("web:5:5", "web:msg:5", (session) =>
      session.commit({ value: "long-lived", ttlMs: 60_000, processedTtlMs: 50 }),
    );
    harness.pass(50);
    await until(
      async () => (await store.read("web:4:4")) === undefined && !(await store.wasProcessed("web:msg:5")),
      "the short TTLs ran out",
    );
    expect(await store.wasProcessed("web:msg:4")).toBe(true);
    expect(await store.read("web:5:5")).toBe("long-lived");
  });

  it("a step commits at most once, only while it runs, and only with valid TTLs", async () => {
    const store = await makeHarness().create();
    let leaked: ((save: SessionCommit) => Promise<void>) | undefined;
    await store.withSession("web:6:6", "web:msg:6", async (session) => {
      await expect(session.commit({ value: "x", ttlMs: 0, processedTtlMs: 60_000 })).rejects.toBeInstanceOf(RangeError);
      await session.commit(kept("first"));
      await expect(session.commit(kept("second"))).rejects.toThrow("commit once");
      leaked = (save) => session.commit(save);
    });
    await expect(leaked!(kept("after the step"))).rejects.toThrow("commit once");
    expect(await store.read("web:6:6")).toBe("first");
  });

  it("50 updates of one session at once run in arrival order, each seeing the one before", async () => {
    const store = await makeHarness().create();
    const started: number[] = [];
    const updates = Array.from({ length: 50 }, (_, index) =>
      store.withSession("telegram:43:43", `telegram:update:${index}`, async (session) => {
        started.push(index);
        const seen = JSON.parse(session.value ?? "[]") as number[];
        await tick();
        await session.commit(kept(JSON.stringify([...seen, index])));
        return index;
      }),
    );
    const expected = Array.from({ length: 50 }, (_, index) => index);
    expect(await Promise.all(updates)).toEqual(expected.map((result) => ({ type: "ran", result })));
    expect(started).toEqual(expected);
    expect(JSON.parse((await store.read("telegram:43:43")) ?? "null")).toEqual(expected);
  });

  it("an update that waits too long for its session gets LockTimeoutError without running", async () => {
    const store = await makeHarness().create({ lockWaitMs: 100 });
    const stuck = gate();
    const holder = store.withSession("user:e", "d1", () => stuck.opened);
    let ran = false;
    await expect(
      store.withSession("user:e", "d2", async () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(LockTimeoutError);
    expect(ran).toBe(false);
    stuck.open();
    await holder;
    expect(await store.wasProcessed("d2")).toBe(false);
  });

  it("reports itself healthy while its backend answers", async () => {
    const store = await makeHarness().create();
    expect(await store.ping()).toBe(true);
  });
});

describe("the memory store on its own", () => {
  it("10,000 idle sessions are swept away by the periodic sweep without anyone reading them", async () => {
    let clock = 0;
    const store: MemorySessionStore = createMemoryStore({ now: () => clock, sweepIntervalMs: 10 });
    cleanups.push(() => store.close());
    for (let i = 0; i < 10_000; i += 1) {
      await store.write(`web:${i}:${i}`, `{"step":${i}}`, 30 * 60_000);
      await store.markProcessed(`web:msg:${i}`, 30 * 60_000);
    }
    await store.write("active", "kept", 60 * 60_000);
    expect(store.stats()).toMatchObject({ sessions: 10_001, processed: 10_000 });
    clock += 30 * 60_000;
    await until(() => store.stats().sessions === 1, "the sweep dropped the idle sessions");
    expect(store.stats()).toMatchObject({ sessions: 1, processed: 0 });
    expect(await store.read("active")).toBe("kept");
    expect(store.sweep()).toBe(0);
  });

  it("a flood of new identities keeps at most its maximum of sessions and delivery marks, dropping the longest idle first", async () => {
    const store = createMemoryStore({ maxEntries: 1_000 });
    cleanups.push(() => store.close());
    await store.write("regular", "kept", 60_000);
    for (let i = 0; i < 5_000; i += 1) {
      if (i % 500 === 0) await store.write("regular", "kept", 60_000);
      await store.withSession(`web:flood-${i}:flood-${i}`, `flood-${i}:m1`, async ({ commit }) =>
        commit({ value: "{}", ttlMs: 60_000, processedTtlMs: 60_000 }),
      );
    }
    expect(store.stats()).toMatchObject({ sessions: 1_000, processed: 1_000 });
    expect(await store.read("regular")).toBe("kept");
    expect(await store.read("web:flood-0:flood-0")).toBeUndefined();
    expect(await store.read("web:flood-4999:flood-4999")).toBe("{}");
  });

  it("no lock bookkeeping is left behind once every key is idle again", async () => {
    const store = createMemoryStore({ lockWaitMs: 50 });
    cleanups.push(() => store.close());
    const stuck = gate();
    const holder = store.withLock("held", () => stuck.opened);
    const timedOut = store.withLock("held", async () => undefined);
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.withLock(`user:${i % 10}`, async () => i)));
    await expect(timedOut).rejects.toBeInstanceOf(LockTimeoutError);
    expect(store.stats().lockedKeys).toBe(1);
    stuck.open();
    await holder;
    expect(store.stats().lockedKeys).toBe(0);
  });
});

describe("the in-process lock queue", () => {
  it("forgets a key as soon as its last caller is done", async () => {
    const queue = createKeyedQueue();
    const running = queue.run("k", 1_000, async () => queue.size);
    expect(queue.size).toBe(1);
    expect(await running).toBe(1);
    expect(queue.size).toBe(0);
  });
});

describe("the Redis store across processes", () => {
  const options = (keyPrefix: string, extra: Partial<RedisStoreOptions> = {}): RedisStoreOptions => ({
    url: inject("redisUrl"),
    keyPrefix,
    logger: silent,
    ...extra,
  });
  const open = async (keyPrefix: string, extra?: Partial<RedisStoreOptions>) => {
    const store = await createRedisStore(options(keyPrefix, extra));
    cleanups.push(() => store.close());
    return store;
  };
  const rawClient = () => {
    const client = new Redis(inject("redisUrl"));
    cleanups.push(() => client.quit());
    return client;
  };

  it("keeps sessions, locks and delivery marks under its key prefix and leaves no lock behind", async () => {
    const prefix = `test:${randomUUID()}:`;
    const store = await open(prefix);
    const raw = rawClient();
    await store.write("telegram:7:7", "state", 60_000);
    await store.markProcessed("telegram:update:7", 60_000);
    const heldLock = await store.withLock("telegram:7:7", () => raw.get(`${prefix}lock:telegram:7:7`));
    expect(heldLock).toEqual(expect.any(String));
    expect(await raw.get(`${prefix}session:telegram:7:7`)).toBe("state");
    expect(await raw.exists(`${prefix}seen:telegram:update:7`)).toBe(1);
    expect(await raw.exists(`${prefix}lock:telegram:7:7`)).toBe(0);
    const heldBySession = await store.withSession("telegram:8:8", "telegram:update:8", async (session) => {
      const held = await raw.get(`${prefix}lock:telegram:8:8`);
      await session.commit(kept("committed"));
      return held;
    });
    expect(heldBySession).toEqual({ type: "ran", result: expect.any(String) });
    expect(await raw.get(`${prefix}session:telegram:8:8`)).toBe("committed");
    expect(await raw.exists(`${prefix}seen:telegram:update:8`)).toBe(1);
    expect(await raw.exists(`${prefix}lock:telegram:8:8`)).toBe(0);
  });

  /** The two ways to hold a session's lock, each as "run this while holding it". */
  const holders: { name: string; hold: (store: SessionStore, key: string, fn: () => Promise<unknown>) => Promise<unknown> }[] = [
    {
      name: "withSession",
      hold: async (store, key, fn) => {
        const turn = await store.withSession(key, randomUUID(), fn);
        return turn.type === "ran" ? turn.result : turn.type;
      },
    },
    { name: "withLock", hold: (store, key, fn) => store.withLock(key, fn) },
  ];

  it("two processes contending for one session never run their updates at the same time, and none is lost", async () => {
    const prefix = `test:${randomUUID()}:`;
    const [first, second] = await Promise.all([open(prefix), open(prefix)]);
    let active = 0;
    let mostActive = 0;
    const update = (store: SessionStore, i: number) =>
      store.withSession("telegram:9:9", `telegram:update:${i}`, async (session) => {
        active += 1;
        mostActive = Math.max(mostActive, active);
        const count = Number(session.value ?? "0");
        await sleep(Math.random() * 3);
        active -= 1;
        await session.commit(kept(String(count + 1)));
      });
    await Promise.all(Array.from({ length: 60 }, (_, i) => update(i % 2 === 0 ? first : second, i)));
    expect(mostActive).toBe(1);
    expect(await first.read("telegram:9:9")).toBe("60");
  });

  it("two processes using withLock never run their callers at the same time", async () => {
    const prefix = `test:${randomUUID()}:`;
    const [first, second] = await Promise.all([open(prefix), open(prefix)]);
    let active = 0;
    let mostActive = 0;
    const update = (store: SessionStore) =>
      store.withLock("webinbox:9", async () => {
        active += 1;
        mostActive = Math.max(mostActive, active);
        const count = Number((await store.read("webinbox:9")) ?? "0");
        await sleep(Math.random() * 3);
        await store.write("webinbox:9", String(count + 1), 60_000);
        active -= 1;
      });
    await Promise.all(Array.from({ length: 60 }, (_, i) => update(i % 2 === 0 ? first : second)));
    expect(mostActive).toBe(1);
    expect(await first.read("webinbox:9")).toBe("60");
  });

  it("an update costs two round trips to Redis, and a repeated delivery one", async () => {
    const server = await startRedisServer(await freePort());
    cleanups.push(() => server.kill());
    const store = await createRedisStore({ url: server.url, logger: silent });
    cleanups.push(() => store.close());
    // Loads the scripts into Redis, which a process does once.
    await store.withSession("telegram:1:1", "warm-up", (session) => session.commit(kept("warm")));
    const watcher = new Redis(server.url);
    cleanups.push(() => watcher.disconnect());
    const monitor = await watcher.monitor();
    cleanups.push(() => monitor.disconnect());
    // Commands a script runs reach MONITOR marked "lua"; only the others cost a round trip.
    const sent: string[] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua") sent.push(args[0]!.toLowerCase());
    });
    for (let i = 0; i < 10; i += 1) {
      await store.withSession("telegram:1:1", `telegram:update:${i}`, async (session) => session.commit(kept(`${session.value}+${i}`)));
    }
    expect(await store.withSession("telegram:1:1", "telegram:update:3", async () => "ran again")).toEqual({ type: "already-processed" });
    await until(() => sent.length >= 21, "MONITOR reported the commands");
    await sleep(50);
    expect(sent).toEqual(Array.from({ length: 21 }, () => "evalsha"));
  });

  it("a store on Redis's Unix socket shares sessions with one on its TCP port", async () => {
    const server = await startRedisServer(await freePort());
    cleanups.push(() => server.kill());
    const keyPrefix = `test:${randomUUID()}:`;
    const overSocket = await createRedisStore({ url: server.socketUrl, keyPrefix, logger: silent });
    cleanups.push(() => overSocket.close());
    const overTcp = await createRedisStore({ url: server.url, keyPrefix, logger: silent });
    cleanups.push(() => overTcp.close());
    await overSocket.withSession("telegram:7:7", "telegram:update:1", (session) => session.commit(kept("written over the socket")));
    expect(await overTcp.withSession("telegram:7:7", "telegram:update:1", async () => "ran again")).toEqual({ type: "already-processed" });
    expect(await overTcp.withSession("telegram:7:7", "telegram:update:2", async (session) => session.value)).toEqual({
      type: "ran",
      result: "written over the socket",
    });
  });

  it.each(holders)(
    "a slow update holding its lock past the lock's TTL keeps it, so another process cannot get in ($name)",
    async ({ hold }) => {
      const prefix = `test:${randomUUID()}:`;
      const lockTtlMs = 100;
      const slow = await open(prefix, { lockTtlMs });
      const other = await open(prefix, { lockTtlMs, lockWaitMs: 50 });
      const raw = rawClient();
      const release = gate();
      let heldSince = 0;
      const holder = hold(slow, "telegram:5:5", async () => {
        heldSince = Date.now();
        await release.opened;
        return "slow update done";
      });
      await until(() => heldSince > 0 && Date.now() - heldSince > 3 * lockTtlMs, "the update held its lock for three TTLs");
      expect(await raw.exists(`${prefix}lock:telegram:5:5`)).toBe(1);
      let intruderRan = false;
      await expect(
        hold(other, "telegram:5:5", async () => {
          intruderRan = true;
        }),
      ).rejects.toBeInstanceOf(LockTimeoutError);
      expect(intruderRan).toBe(false);
      release.open();
      expect(await holder).toBe("slow update done");
      expect(await hold(other, "telegram:5:5", async () => "other process got its turn")).toBe("other process got its turn");
    },
  );

  it("an update whose lock lapsed and passed to another holder cannot commit over that holder's session", async () => {
    const prefix = `test:${randomUUID()}:`;
    const store = await open(prefix);
    const raw = rawClient();
    await store.write("telegram:6:6", "saved by the new holder", 60_000);
    const outcome = store.withSession("telegram:6:6", "telegram:update:60", async (session) => {
      // What a stalled process finds on waking: its lock expired and someone else took it.
      await raw.set(`${prefix}lock:telegram:6:6`, "another holder's token", "PX", 60_000);
      await session.commit(kept("stale overwrite"));
    });
    await expect(outcome).rejects.toBeInstanceOf(LockLostError);
    await expect(outcome).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    expect(await store.read("telegram:6:6")).toBe("saved by the new holder");
    expect(await store.wasProcessed("telegram:update:60")).toBe(false);
    expect(await raw.get(`${prefix}lock:telegram:6:6`)).toBe("another holder's token");
  });
});

describe("the Redis store when Redis fails", () => {
  /** A redis-server of this test's own, so killing it disturbs no other test. */
  async function startRedis(port: number): Promise<RedisServer> {
    const server = await startRedisServer(port);
    cleanups.push(() => server.kill());
    return server;
  }
  /** Fails the test instead of letting a hanging store run into the test timeout. */
  async function withoutHanging<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("the store hung instead of failing")), 3_000);
    });
    try {
      return await Promise.race([promise, hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  it("start-up against a port where nothing listens is rejected with a message naming the address", async () => {
    const port = await freePort();
    const startUp = createRedisStore({ url: `redis://:s3cret-password@127.0.0.1:${port}`, logger: silent });
    await expect(startUp).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(startUp).rejects.toThrow(`Cannot connect to Redis at redis://127.0.0.1:${port} (REDIS_URL): connect ECONNREFUSED`);
    await expect(startUp).rejects.not.toThrow("s3cret-password");
  });

  it("while Redis is down every operation fails fast as unavailable, and the store works again once Redis is back", async () => {
    const port = await freePort();
    const server = await startRedis(port);
    const store = await createRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: "faults:", logger: silent });
    cleanups.push(() => store.close());
    await store.write("web:1:1", "before the outage", 60_000);

    await server.kill();
    await expect(withoutHanging(store.read("web:1:1"))).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(withoutHanging(store.write("web:1:1", "lost", 60_000))).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    let updateRan = false;
    await expect(
      withoutHanging(
        store.withLock("web:1:1", async () => {
          updateRan = true;
        }),
      ),
    ).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    await expect(
      withoutHanging(
        store.withSession("web:1:1", "web:msg:1", async () => {
          updateRan = true;
        }),
      ),
    ).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    expect(updateRan).toBe(false);
    await expect(withoutHanging(store.wasProcessed("web:msg:1"))).rejects.toBeInstanceOf(SessionStoreUnavailableError);
    expect(await withoutHanging(store.ping())).toBe(false);

    await startRedis(port);
    await until(() => store.ping(), "the store reconnected by itself");
    await store.write("web:1:1", "after the outage", 60_000);
    expect(await store.read("web:1:1")).toBe("after the outage");
    expect(await store.withLock("web:1:1", async () => "locks work again")).toBe("locks work again");
    expect(await store.withSession("web:1:1", "web:msg:1", async (session) => session.value)).toEqual({
      type: "ran",
      result: "after the outage",
    });
  });

  it("when Redis dies while an update runs, its commit fails as unavailable and the update can still finish", async () => {
    const port = await freePort();
    const server = await startRedis(port);
    const store = await createRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: "faults:", logger: silent });
    cleanups.push(() => store.close());
    const turn = withoutHanging(
      store.withSession("web:2:2", "web:msg:2", async (session) => {
        await server.kill();
        const failure = await session.commit(kept("lost")).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(SessionStoreUnavailableError);
        expect(failure).not.toBeInstanceOf(LockLostError);
        return "told the resident what happened";
      }),
    );
    expect(await turn).toEqual({ type: "ran", result: "told the resident what happened" });
  });
});
