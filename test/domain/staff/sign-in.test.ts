import { createHash, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createRedisWebSessionStore, type RedisWebSessionStore } from "../../../src/bot/sessions/web-session-redis.ts";
import type { Database } from "../../../src/db/database.ts";
import { sql } from "../../../src/db/sql.ts";
import type { GridDirectory } from "../../../src/domain/grid/directory.ts";
import type { StaffGrant, StaffMemberInfo } from "../../../src/domain/staff/registry.ts";
import type { StaffWebSession } from "../../../src/generated/prisma/client.ts";
import type { TownServices } from "../../../src/services.ts";
import { testLogger } from "../../support/logs.ts";
import { openSampleTown, townServices } from "../../support/town.ts";

const person = (id: string) => ({ channel: "telegram", userId: id, chatId: id, locale: "zh" as const });
const districtStaff: StaffGrant = { role: "DISTRICT_STAFF", label: "第二片区工作人员", districtCodes: ["d2"], roadCommitteeCodes: [] };
const admin: StaffGrant = { role: "ADMIN", label: "管理员", districtCodes: [], roadCommitteeCodes: [] };
const MINUTE = 60_000;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Where a run keeps its sessions: the database of that kind, or Redis (on PGlite for the rest). */
const SETUPS = [
  { kind: "pglite", sessions: "database" },
  { kind: "postgres", sessions: "database" },
  { kind: "pglite", sessions: "redis" },
] as const;

describe.each(SETUPS)("staff sign-in to the web console on $kind with sessions in the $sessions", ({ kind, sessions }) => {
  let db: Database;
  let grid: GridDirectory;
  let services: TownServices;
  let redisStore: RedisWebSessionStore | undefined;
  let redis: Redis | undefined;
  const prefix = `test:${randomUUID()}:`;
  // Not before the real time: Redis expires session keys at absolute times.
  let now = new Date(Math.ceil(Date.now() / 1000) * 1000 + MINUTE);
  let theAdmin: StaffMemberInfo;

  beforeAll(async () => {
    ({ db, grid } = await openSampleTown(kind));
    if (sessions === "redis") {
      redisStore = await createRedisWebSessionStore({ url: inject("redisUrl"), keyPrefix: prefix, logger: testLogger() });
      redis = new Redis(inject("redisUrl"));
    }
    services = townServices({ db, grid, townCode: "wujing" }, { clock: () => now, webSessionStore: redisStore });
    theAdmin = await bind("admin", admin);
  });
  afterAll(async () => {
    redis?.disconnect();
    await redisStore?.close();
    await db.close();
  });

  async function bind(id: string, grant: StaffGrant = districtStaff): Promise<StaffMemberInfo> {
    const invite = await services.staff.invite("bootstrap", grant);
    if (invite.type !== "created") throw new Error(invite.type);
    const result = await services.staff.redeem(invite.code, person(id));
    if (result.type !== "bound") throw new Error(result.type);
    return result.staff;
  }

  async function linkFor(id: string): Promise<string> {
    const request = await services.signIn.request(person(id));
    if (request.type !== "created") throw new Error(request.type);
    return request.token;
  }

  async function signIn(id: string): Promise<{ sessionId: string; csrfToken: string }> {
    const result = await services.signIn.redeem(await linkFor(id));
    if (result.type !== "signedIn") throw new Error(result.type);
    return result.session;
  }

  /** The sessions the store holds for a member, as the store keeps them (hash of the id, CSRF token). */
  async function sessionRows(staffId: string): Promise<Pick<StaffWebSession, "idHash" | "csrfToken">[]> {
    if (!redis) {
      return db.sql.query<Pick<StaffWebSession, "idHash" | "csrfToken">>(
        sql`SELECT "idHash", "csrfToken" FROM "StaffWebSession" WHERE "staffId" = ${staffId} ORDER BY "idHash"`,
      );
    }
    const keys = await redis.keys(`${prefix}console:session:*`);
    const rows = await Promise.all(
      keys.map(async (key) => {
        const json = JSON.parse((await redis?.get(key)) ?? "{}") as { staffId?: string; csrfToken?: string };
        return { idHash: key.slice(`${prefix}console:session:`.length), staffId: json.staffId, csrfToken: json.csrfToken ?? "" };
      }),
    );
    return rows.filter((row) => row.staffId === staffId).map(({ idHash, csrfToken }) => ({ idHash, csrfToken }));
  }

  it("a staff member's link is valid ten minutes, signs in once and is stored only as the token's hash", async () => {
    const member = await bind("once");
    const request = await services.signIn.request(person("once"));
    if (request.type !== "created") throw new Error(request.type);
    expect(request.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(request.expiresAt.getTime() - now.getTime()).toBe(10 * MINUTE);
    const stored = await db.prisma.staffSignInLink.findMany({ where: { staffId: member.staffId } });
    expect(stored.map((link) => link.tokenHash)).toEqual([sha256(request.token)]);

    const first = await services.signIn.redeem(request.token);
    if (first.type !== "signedIn") throw new Error(first.type);
    expect(first.staff).toMatchObject({ staffId: member.staffId, role: "DISTRICT_STAFF", label: "第二片区工作人员" });
    expect(await services.signIn.redeem(request.token)).toEqual({ type: "used" });
    expect(await sessionRows(member.staffId)).toEqual([{ idHash: sha256(first.session.sessionId), csrfToken: first.session.csrfToken }]);
  });

  it("a link opened after ten minutes has expired and starts no session", async () => {
    const member = await bind("late");
    const token = await linkFor("late");
    now = new Date(now.getTime() + 10 * MINUTE);
    expect(await services.signIn.redeem(token)).toEqual({ type: "expired" });
    expect(await sessionRows(member.staffId)).toEqual([]);
  });

  it("an unknown token is invalid and someone who is not staff gets no link", async () => {
    expect(await services.signIn.redeem("no-such-token")).toEqual({ type: "invalid" });
    expect(await services.signIn.request(person("resident"))).toEqual({ type: "notStaff" });
  });

  it("of two redemptions of one link racing each other exactly one signs in", async () => {
    const member = await bind("racer");
    const token = await linkFor("racer");
    const results = await Promise.all([services.signIn.redeem(token), services.signIn.redeem(token)]);
    expect(results.map((result) => result.type).sort()).toEqual(["signedIn", "used"]);
    expect(await sessionRows(member.staffId)).toHaveLength(1);
  });

  it("a link of a member revoked before opening it starts no session", async () => {
    const member = await bind("revoked-before");
    const token = await linkFor("revoked-before");
    expect(await services.staff.revoke(person("admin"), member.staffId)).toEqual({ type: "revoked" });
    expect(await services.signIn.redeem(token)).toEqual({ type: "revoked" });
    expect(await sessionRows(member.staffId)).toEqual([]);
  });

  it("a session lives while used, ends after thirty idle minutes, and ends after twelve hours however active", async () => {
    const member = await bind("clock");
    const idle = await signIn("clock");
    now = new Date(now.getTime() + 29 * MINUTE);
    expect(await services.signIn.session(idle.sessionId)).toEqual({
      staff: expect.objectContaining({ staffId: member.staffId }),
      csrfToken: idle.csrfToken,
    });
    now = new Date(now.getTime() + 29 * MINUTE);
    expect(await services.signIn.session(idle.sessionId)).toBeDefined();
    now = new Date(now.getTime() + 30 * MINUTE);
    expect(await services.signIn.session(idle.sessionId)).toBeUndefined();

    const busy = await signIn("clock");
    const started = now.getTime();
    while (now.getTime() + 20 * MINUTE < started + 12 * 60 * MINUTE) {
      now = new Date(now.getTime() + 20 * MINUTE);
      expect(await services.signIn.session(busy.sessionId)).toBeDefined();
    }
    now = new Date(started + 12 * 60 * MINUTE);
    expect(await services.signIn.session(busy.sessionId)).toBeUndefined();
    expect(await sessionRows(member.staffId)).toEqual([]);
  });

  it("signing out ends that session only, and revoking the member ends all their sessions", async () => {
    const member = await bind("everywhere");
    const [phone, desk, laptop] = [await signIn("everywhere"), await signIn("everywhere"), await signIn("everywhere")];
    await services.signIn.signOut(phone.sessionId);
    expect(await services.signIn.session(phone.sessionId)).toBeUndefined();
    expect(await services.signIn.session(desk.sessionId)).toBeDefined();
    const adminSession = await signIn("admin");

    expect(await services.staff.revoke(person("admin"), member.staffId)).toEqual({ type: "revoked" });
    expect(await sessionRows(member.staffId)).toEqual([]);
    expect(await services.signIn.session(desk.sessionId)).toBeUndefined();
    expect(await services.signIn.session(laptop.sessionId)).toBeUndefined();
    expect(await services.signIn.session(adminSession.sessionId)).toEqual({
      staff: expect.objectContaining({ staffId: theAdmin.staffId }),
      csrfToken: adminSession.csrfToken,
    });
  });

  it("a session whose member was revoked without ending it is refused and then ended", async () => {
    const member = await bind("left-over");
    const session = await signIn("left-over");
    // As if ending the sessions had failed after the revocation was committed.
    await db.prisma.staffMember.update({ where: { id: member.staffId }, data: { revokedAt: now } });
    expect(await services.signIn.session(session.sessionId)).toBeUndefined();
    expect(await sessionRows(member.staffId)).toEqual([]);
  });

  it("the sweep deletes links expired over a day ago and keeps newer links and live sessions", async () => {
    const member = await bind("sweeper");
    const old = await linkFor("sweeper");
    now = new Date(now.getTime() + 24 * 60 * MINUTE + 11 * MINUTE);
    const fresh = await linkFor("sweeper");
    const live = await signIn("sweeper");
    expect((await services.signIn.sweep()).links).toBeGreaterThanOrEqual(1);
    expect(await services.signIn.redeem(old)).toEqual({ type: "invalid" });
    expect((await services.signIn.redeem(fresh)).type).toBe("signedIn");
    expect(await services.signIn.session(live.sessionId)).toBeDefined();
    expect(await db.prisma.staffSignInLink.count({ where: { staffId: member.staffId } })).toBe(2);
  });
});
