import { createHash, randomInt } from "node:crypto";
import { prismaSql, sql, type Sql } from "../../db/sql.ts";
import type { ChatUser, PrismaClient, StaffMember, StaffRole } from "../../generated/prisma/client.ts";
import { upsertChatUser } from "../chat-users.ts";
import type { StaffArea } from "../reports/reports.ts";
import type { WebSessions } from "./web-sessions.ts";

/** Letters and digits that cannot be misread for each other (no 0/O, 1/I/L); class check-in codes use it too. */
export const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LENGTH = 10;
const DEFAULT_INVITE_HOURS = 72;

/** The chat account acting or being bound. */
export interface StaffIdentity {
  channel: string;
  userId: string;
  chatId: string;
}

/** What an invitation grants once redeemed. */
export interface StaffGrant {
  role: StaffRole;
  label: string;
  districtCodes: string[];
  roadCommitteeCodes: string[];
}

export interface StaffMemberInfo extends StaffGrant {
  staffId: string;
  channel: string;
  userId: string;
}

export type InviteResult = { type: "created"; code: string; expiresAt: Date } | { type: "notAllowed" };
/** What {@link StaffRegistry.inviteFirstAdmin} found: a town that has an admin, one whose earlier invitation still waits, or a new invitation. */
export type FirstAdminResult =
  | { type: "hasAdmin" }
  | { type: "pending"; expiresAt: Date }
  | { type: "created"; code: string; expiresAt: Date };
export type RedeemResult = { type: "bound"; staff: StaffMemberInfo } | { type: "invalid" } | { type: "expired" } | { type: "used" };

/** The area a case lies in, for deciding who may act on it. */
export interface CaseArea {
  districtCodes: string[];
  roadCommitteeCode: string | null;
}

/**
 * Who is staff, and what they may touch. Admins issue one-time invitation codes
 * (stored only as hashes); redeeming one binds a chat account to a role and the
 * districts and road committees it covers. Every staff action asks
 * {@link StaffRegistry.mayHandle} first.
 */
export interface StaffRegistry {
  /** An admin (or, with `bootstrap`, the command line) invites someone. */
  invite(by: StaffIdentity | "bootstrap", grant: StaffGrant, validHours?: number): Promise<InviteResult>;
  /**
   * A town without an admin gets one admin invitation from the command line's
   * side, once: while an earlier one is unused and unexpired it is reported
   * instead of a second code (the first may have been handed on already).
   */
  inviteFirstAdmin(label: string): Promise<FirstAdminResult>;
  redeem(code: string, who: StaffIdentity & { locale: "zh" | "en" }): Promise<RedeemResult>;
  /** The active staff record of a chat account, if any. */
  find(who: Pick<StaffIdentity, "channel" | "userId">): Promise<StaffMemberInfo | undefined>;
  /** The active staff record with this id, if any: how a web console session finds who it belongs to. */
  findById(staffId: string): Promise<StaffMemberInfo | undefined>;
  list(): Promise<StaffMemberInfo[]>;
  /**
   * Only admins revoke; an admin cannot revoke themselves (a town must keep one).
   * Revoking ends every web console session of the member ("sign out everywhere").
   */
  revoke(by: StaffIdentity, staffId: string): Promise<{ type: "revoked" } | { type: "notAllowed" } | { type: "notFound" }>;
  mayHandle(who: Pick<StaffIdentity, "channel" | "userId">, area: CaseArea): Promise<boolean>;
}

/** A staff member's row with the chat account it is bound to (ChatUser is a driver-SQL table, decision record 0007). */
type StaffRow = Pick<StaffMember, "id" | "role" | "label" | "districtCodes" | "roadCommitteeCodes"> &
  Pick<ChatUser, "channel" | "channelUserId">;

const STAFF_COLUMNS = sql`s."id", s."role", s."label", s."districtCodes", s."roadCommitteeCodes", u."channel", u."channelUserId"`;

/**
 * Creates the registry of one town. Staff records are written through Prisma;
 * they are read with their chat account through `sql`, which owns chat accounts.
 * `webSessions` is required, not optional, so that no registry can revoke
 * someone and leave their console sessions running.
 */
export function createStaffRegistry(deps: {
  prisma: PrismaClient;
  sql: Sql;
  townCode: string;
  webSessions: Pick<WebSessions, "endAllOf">;
  clock?: () => Date;
}): StaffRegistry {
  const { prisma, sql: db, townCode, webSessions } = deps;
  const clock = deps.clock ?? (() => new Date());

  const active = async (who: Pick<StaffIdentity, "channel" | "userId">): Promise<StaffRow | undefined> =>
    (
      await db.query<StaffRow>(
        sql`SELECT ${STAFF_COLUMNS} FROM "StaffMember" s JOIN "ChatUser" u ON u."id" = s."chatUserId"
            WHERE s."townCode" = ${townCode} AND s."revokedAt" IS NULL AND u."channel" = ${who.channel} AND u."channelUserId" = ${who.userId}`,
      )
    )[0];

  const info = (row: StaffRow): StaffMemberInfo => ({
    staffId: row.id,
    channel: row.channel,
    userId: row.channelUserId,
    role: row.role,
    label: row.label,
    districtCodes: row.districtCodes,
    roadCommitteeCodes: row.roadCommitteeCodes,
  });

  const invite: StaffRegistry["invite"] = async (by, grant, validHours = DEFAULT_INVITE_HOURS) => {
    const admin = by === "bootstrap" ? null : await active(by);
    if (by !== "bootstrap" && admin?.role !== "ADMIN") return { type: "notAllowed" };
    const code = Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join("");
    const expiresAt = new Date(clock().getTime() + validHours * 3_600_000);
    await prisma.staffInvite.create({
      data: { townCode, codeHash: hashCode(code), ...grant, createdByStaffId: admin?.id ?? null, expiresAt, createdAt: clock() },
    });
    return { type: "created", code, expiresAt };
  };

  return {
    invite,

    async inviteFirstAdmin(label) {
      if (await prisma.staffMember.findFirst({ where: { townCode, role: "ADMIN", revokedAt: null }, select: { id: true } }))
        return { type: "hasAdmin" };
      const waiting = await prisma.staffInvite.findFirst({
        where: { townCode, role: "ADMIN", createdByStaffId: null, redeemedAt: null, expiresAt: { gt: clock() } },
        orderBy: { expiresAt: "desc" },
        select: { expiresAt: true },
      });
      if (waiting) return { type: "pending", expiresAt: waiting.expiresAt };
      const created = await invite("bootstrap", { role: "ADMIN", label, districtCodes: [], roadCommitteeCodes: [] });
      if (created.type !== "created") throw new Error("the registry refused a bootstrap invitation");
      return created;
    },

    async redeem(code, who) {
      return prisma.$transaction(async (tx): Promise<RedeemResult> => {
        const invite = await tx.staffInvite.findUnique({ where: { codeHash: hashCode(normalizeCode(code)) } });
        if (!invite || invite.townCode !== townCode) return { type: "invalid" };
        if (invite.redeemedAt) return { type: "used" };
        if (invite.expiresAt.getTime() <= clock().getTime()) return { type: "expired" };
        // Marking first, conditionally, means two people racing for one code cannot both win.
        const claimed = await tx.staffInvite.updateMany({ where: { id: invite.id, redeemedAt: null }, data: { redeemedAt: clock() } });
        if (claimed.count === 0) return { type: "used" };
        const user = await upsertChatUser(prismaSql(tx), who, clock());
        const grant = {
          role: invite.role,
          label: invite.label,
          districtCodes: invite.districtCodes,
          roadCommitteeCodes: invite.roadCommitteeCodes,
        };
        const staff = await tx.staffMember.upsert({
          where: { townCode_chatUserId: { townCode, chatUserId: user.id } },
          create: { townCode, chatUserId: user.id, ...grant, createdAt: clock() },
          update: { ...grant, revokedAt: null },
        });
        await tx.staffInvite.update({ where: { id: invite.id }, data: { redeemedByStaffId: staff.id } });
        return { type: "bound", staff: { staffId: staff.id, channel: who.channel, userId: who.userId, ...grant } };
      });
    },

    async find(who) {
      const row = await active(who);
      return row && info(row);
    },

    async findById(staffId) {
      const [row] = await db.query<StaffRow>(
        sql`SELECT ${STAFF_COLUMNS} FROM "StaffMember" s JOIN "ChatUser" u ON u."id" = s."chatUserId"
            WHERE s."townCode" = ${townCode} AND s."revokedAt" IS NULL AND s."id" = ${staffId}`,
      );
      return row && info(row);
    },

    async list() {
      const rows = await db.query<StaffRow>(
        sql`SELECT ${STAFF_COLUMNS} FROM "StaffMember" s JOIN "ChatUser" u ON u."id" = s."chatUserId"
            WHERE s."townCode" = ${townCode} AND s."revokedAt" IS NULL ORDER BY s."createdAt", s."id"`,
      );
      return rows.map(info);
    },

    async revoke(by, staffId) {
      const admin = await active(by);
      if (admin?.role !== "ADMIN" || admin.id === staffId) return { type: "notAllowed" };
      const revoked = await prisma.staffMember.updateMany({
        where: { id: staffId, townCode, revokedAt: null },
        data: { revokedAt: clock() },
      });
      if (revoked.count === 0) return { type: "notFound" };
      // After the revocation is committed: should this fail, every console request still re-checks the member is active.
      await webSessions.endAllOf(staffId);
      return { type: "revoked" };
    },

    async mayHandle(who, area) {
      const staff = await active(who);
      return staff !== undefined && coversCase(staff, area);
    },
  };
}

/** Whether a grant covers a case: admins cover the town, district staff their districts and road committees, academy staff no cases. */
export function coversCase(staff: StaffGrant, area: CaseArea): boolean {
  if (staff.role === "ADMIN") return true;
  if (staff.role !== "DISTRICT_STAFF") return false;
  return (
    staff.districtCodes.some((code) => area.districtCodes.includes(code)) ||
    (area.roadCommitteeCode !== null && staff.roadCommitteeCodes.includes(area.roadCommitteeCode))
  );
}

/**
 * The area a grant covers, as lists of cases are filtered by it: the whole
 * town for admins, their districts and road committees for district staff,
 * and undefined (no cases) for anyone else. The list counterpart of
 * {@link coversCase}: a case is in the area exactly when `coversCase` is true.
 */
export function coveredArea(staff: StaffGrant): StaffArea | undefined {
  if (staff.role === "ADMIN") return "town";
  if (staff.role !== "DISTRICT_STAFF") return undefined;
  return { districtCodes: staff.districtCodes, roadCommitteeCodes: staff.roadCommitteeCodes };
}

/** Codes are shown in capitals but people type them any way, with spaces or dashes. */
export function normalizeCode(code: string): string {
  return code.normalize("NFKC").replace(/[\s-]/g, "").toUpperCase();
}

function hashCode(code: string): string {
  return createHash("sha256").update(code).digest("hex");
}
