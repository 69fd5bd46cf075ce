import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.ts";
import { createStaffRegistry, type StaffGrant, type StaffRegistry } from "../../../src/domain/staff/registry.ts";
import { databaseWebSessions } from "../../../src/domain/staff/web-session-table.ts";
import { DATABASE_KINDS } from "../../support/databases.ts";
import { openSampleTown } from "../../support/town.ts";

const person = (id: string) => ({ channel: "telegram", userId: id, chatId: id, locale: "zh" as const });
const districtStaff: StaffGrant = { role: "DISTRICT_STAFF", label: "第二片区工作人员", districtCodes: ["d2"], roadCommitteeCodes: ["rc1"] };

describe.each(DATABASE_KINDS)("the staff registry on %s", (kind) => {
  let db: Database;
  let registry: StaffRegistry;
  let now = new Date("2026-11-26T09:00:00+08:00");

  beforeAll(async () => {
    ({ db } = await openSampleTown(kind));
    registry = createStaffRegistry({
      prisma: db.prisma,
      sql: db.sql,
      townCode: "wujing",
      webSessions: databaseWebSessions(db.sql),
      clock: () => now,
    });
  });
  afterAll(async () => {
    await db.close();
  });

  const bind = async (id: string, grant: StaffGrant = districtStaff, by: Parameters<StaffRegistry["invite"]>[0] = "bootstrap") => {
    const invite = await registry.invite(by, grant);
    if (invite.type !== "created") throw new Error(invite.type);
    const result = await registry.redeem(invite.code, person(id));
    if (result.type !== "bound") throw new Error(result.type);
    return result.staff;
  };

  it("a town without an admin gets one first-admin invitation, is reminded of it while it waits, gets a new one once it expired, and none once bound", async () => {
    const first = await registry.inviteFirstAdmin("管理员");
    if (first.type !== "created") throw new Error(first.type);
    expect(await registry.inviteFirstAdmin("管理员")).toEqual({ type: "pending", expiresAt: first.expiresAt });
    now = new Date(first.expiresAt.getTime() + 1);
    const second = await registry.inviteFirstAdmin("管理员");
    if (second.type !== "created") throw new Error(second.type);
    expect(second.code).not.toBe(first.code);
    expect((await registry.redeem(second.code, person("first-admin"))).type).toBe("bound");
    expect(await registry.inviteFirstAdmin("管理员")).toEqual({ type: "hasAdmin" });
  });

  it("the first admin comes from a bootstrap invitation; only admins invite, and codes are stored only as hashes", async () => {
    const admin = await bind("admin-1", { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    expect(admin.role).toBe("ADMIN");
    expect((await registry.invite(person("nobody"), districtStaff)).type).toBe("notAllowed");
    const invite = await registry.invite(person("admin-1"), districtStaff);
    if (invite.type !== "created") throw new Error(invite.type);
    expect(invite.code).toMatch(/^[A-HJ-NP-Z2-9]{10}$/);
    const rows = await db.prisma.staffInvite.findMany();
    expect(JSON.stringify(rows)).not.toContain(invite.code);
  });

  it("a code works once, typed in any case with spaces; a used, expired or forged code is refused", async () => {
    const invite = await registry.invite(person("admin-1"), districtStaff);
    if (invite.type !== "created") throw new Error(invite.type);
    const spaced = `${invite.code.slice(0, 5).toLowerCase()} ${invite.code.slice(5)}`;
    expect((await registry.redeem(spaced, person("staff-1"))).type).toBe("bound");
    expect((await registry.redeem(invite.code, person("staff-2"))).type).toBe("used");
    expect((await registry.redeem("ABCDEFGHJK", person("staff-2"))).type).toBe("invalid");
    const late = await registry.invite(person("admin-1"), districtStaff, 1);
    if (late.type !== "created") throw new Error(late.type);
    now = new Date(now.getTime() + 2 * 3_600_000);
    expect((await registry.redeem(late.code, person("staff-2"))).type).toBe("expired");
  });

  it("two people redeeming one code at the same moment: exactly one is bound", async () => {
    const invite = await registry.invite(person("admin-1"), districtStaff);
    if (invite.type !== "created") throw new Error(invite.type);
    const results = await Promise.all([registry.redeem(invite.code, person("racer-1")), registry.redeem(invite.code, person("racer-2"))]);
    expect(results.filter((r) => r.type === "bound")).toHaveLength(1);
  });

  it("district staff may handle cases of their districts and road committees only; admins any; residents none", async () => {
    await bind("staff-d2");
    expect(await registry.mayHandle(person("staff-d2"), { districtCodes: ["d2"], roadCommitteeCode: null })).toBe(true);
    expect(await registry.mayHandle(person("staff-d2"), { districtCodes: ["d1"], roadCommitteeCode: "rc1" })).toBe(true);
    expect(await registry.mayHandle(person("staff-d2"), { districtCodes: ["d1"], roadCommitteeCode: "rc3" })).toBe(false);
    expect(await registry.mayHandle(person("admin-1"), { districtCodes: ["d3"], roadCommitteeCode: null })).toBe(true);
    expect(await registry.mayHandle(person("resident"), { districtCodes: ["d2"], roadCommitteeCode: "rc1" })).toBe(false);
  });

  it("admins revoke staff (not themselves), and a revoked member may handle nothing", async () => {
    const member = await bind("staff-revoked");
    const admin = (await registry.find(person("admin-1")))!;
    expect((await registry.revoke(person("staff-d2"), member.staffId)).type).toBe("notAllowed");
    expect((await registry.revoke(person("admin-1"), admin.staffId)).type).toBe("notAllowed");
    expect((await registry.revoke(person("admin-1"), member.staffId)).type).toBe("revoked");
    expect(await registry.mayHandle(person("staff-revoked"), { districtCodes: ["d2"], roadCommitteeCode: null })).toBe(false);
    expect((await registry.list()).map((s) => s.userId)).not.toContain("staff-revoked");
  });
});
