import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createRedisWebSessionStore } from "../../../src/bot/sessions/web-session-redis.ts";
import { createDatabaseWebSessionStore } from "../../../src/domain/staff/web-session-table.ts";
import type { StoredWebSession, WebSessionStore } from "../../../src/domain/staff/web-sessions.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { testLogger } from "../../support/logs.ts";
import { openSampleTown, townServices } from "../../support/town.ts";

const HOUR = 3_600_000;

/** Two staff members' ids (the database's sessions reference real members) and a store to test. */
interface Subject {
  store: WebSessionStore;
  staff: [string, string];
  close(): Promise<void>;
}

async function databaseSubject(kind: (typeof DATABASE_KINDS)[number]): Promise<Subject> {
  const { db, grid } = await openSampleTown(kind);
  const services = townServices({ db, grid, townCode: "wujing" });
  const bind = async (id: string) => {
    const invite = await services.staff.invite("bootstrap", { role: "ADMIN", label: id, districtCodes: [], roadCommitteeCodes: [] });
    if (invite.type !== "created") throw new Error(invite.type);
    const bound = await services.staff.redeem(invite.code, { channel: "web", userId: id, chatId: id, locale: "zh" });
    if (bound.type !== "bound") throw new Error(bound.type);
    return bound.staff.staffId;
  };
  return { store: createDatabaseWebSessionStore(db.sql), staff: [await bind("a"), await bind("b")], close: () => db.close() };
}

async function redisSubject(): Promise<Subject> {
  const store = await createRedisWebSessionStore({ url: inject("redisUrl"), keyPrefix: `test:${randomUUID()}:`, logger: testLogger() });
  return { store, staff: [randomUUID(), randomUUID()], close: () => store.close() };
}

const SUBJECTS: [string, () => Promise<Subject>][] = [
  ...DATABASE_KINDS.map((kind): [string, () => Promise<Subject>] => [`the database on ${kind}`, () => databaseSubject(kind)]),
  ["Redis", redisSubject],
];

describe.each(SUBJECTS)("web console sessions kept in %s", (_name, open) => {
  let subject: Subject;
  const session = (staffId: string, at = new Date()): StoredWebSession => ({
    staffId,
    csrfToken: randomUUID(),
    createdAt: at,
    lastSeenAt: at,
    endsAt: new Date(at.getTime() + 12 * HOUR),
  });
  const soon = () => new Date(Date.now() + HOUR);

  beforeAll(async () => {
    subject = await open();
  });
  afterAll(async () => {
    await subject.close();
  });

  it("a written session reads back as written and a touch moves only its last request", async () => {
    const written = session(subject.staff[0], new Date(Math.floor(Date.now() / 1000) * 1000));
    await subject.store.write("hash-read", written, soon());
    expect(await subject.store.read("hash-read")).toEqual(written);
    const later = new Date(written.lastSeenAt.getTime() + 60_000);
    await subject.store.touch("hash-read", later, soon());
    expect(await subject.store.read("hash-read")).toEqual({ ...written, lastSeenAt: later });
    expect(await subject.store.read("hash-never-written")).toBeUndefined();
  });

  it("a deleted session stays deleted even when a request touches it afterwards", async () => {
    await subject.store.write("hash-deleted", session(subject.staff[0]), soon());
    await subject.store.delete("hash-deleted");
    await subject.store.touch("hash-deleted", new Date(), soon());
    expect(await subject.store.read("hash-deleted")).toBeUndefined();
  });

  it("ending all of one member's sessions leaves the other member's", async () => {
    const [mine, theirs] = subject.staff;
    await subject.store.write("hash-mine-1", session(mine), soon());
    await subject.store.write("hash-mine-2", session(mine), soon());
    await subject.store.write("hash-theirs", session(theirs), soon());
    expect(await subject.store.deleteAllOf(mine)).toBeGreaterThanOrEqual(2);
    expect(await subject.store.read("hash-mine-1")).toBeUndefined();
    expect(await subject.store.read("hash-mine-2")).toBeUndefined();
    expect(await subject.store.read("hash-theirs")).toBeDefined();
    expect(await subject.store.deleteAllOf(mine)).toBe(0);
  });
});

describe("web console sessions kept in the database", () => {
  it("are deleted by the sweep once idle too long or past their lifetime, and kept while live", async () => {
    const subject = await databaseSubject("pglite");
    try {
      const policy = { idleMs: 30 * 60_000, maxMs: 12 * HOUR };
      const now = new Date("2026-12-08T12:00:00Z");
      const at = (ms: number): StoredWebSession => ({
        staffId: subject.staff[0],
        csrfToken: randomUUID(),
        createdAt: new Date(now.getTime() - ms),
        lastSeenAt: new Date(now.getTime() - ms),
        endsAt: new Date(now.getTime() - ms + policy.maxMs),
      });
      await subject.store.write("hash-live", at(29 * 60_000), now);
      await subject.store.write("hash-idle", at(30 * 60_000), now);
      await subject.store.write("hash-old", { ...at(12 * HOUR), lastSeenAt: new Date(now.getTime() - 60_000) }, now);
      expect(await subject.store.deleteEnded(now, policy)).toBe(2);
      expect(await subject.store.read("hash-live")).toBeDefined();
      expect(await subject.store.read("hash-idle")).toBeUndefined();
      expect(await subject.store.read("hash-old")).toBeUndefined();
    } finally {
      await subject.close();
    }
  });
});

describe("web console sessions kept in Redis", () => {
  it("are forgotten by Redis at their forget-after time and keep their keys under the town's prefix", async () => {
    const prefix = `test:${randomUUID()}:`;
    const store = await createRedisWebSessionStore({ url: inject("redisUrl"), keyPrefix: prefix, logger: testLogger() });
    const redis = new Redis(inject("redisUrl"));
    try {
      const at = new Date();
      await store.write(
        "hash-short",
        { staffId: "s1", csrfToken: "c", createdAt: at, lastSeenAt: at, endsAt: new Date(at.getTime() + HOUR) },
        new Date(Date.now() + 300),
      );
      expect((await redis.keys(`${prefix}*`)).sort()).toEqual([`${prefix}console:session:hash-short`, `${prefix}console:staff:s1`]);
      await sleep(400);
      expect(await store.read("hash-short")).toBeUndefined();
    } finally {
      redis.disconnect();
      await store.close();
    }
  });
});
