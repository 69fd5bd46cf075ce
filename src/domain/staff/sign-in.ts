import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { StaffIdentity, StaffMemberInfo, StaffRegistry } from "./registry.ts";
import { hashToken, randomToken, type StartedWebSession, type WebSessions } from "./web-sessions.ts";

/** How long a sign-in link works: long enough to open it on another device, short enough that a forwarded one soon dies. */
export const SIGN_IN_LINK_MINUTES = 10;

const KEEP_EXPIRED_LINKS_MS = 24 * 3_600_000;

/** What {@link StaffSignIn.request} gives: a token for the link, or a refusal for someone who is not active staff. */
export type SignInRequest = { type: "created"; token: string; expiresAt: Date } | { type: "notStaff" };

/** What opening a sign-in link did: a new web session, or why not. */
export type SignInResult =
  | { type: "signedIn"; staff: StaffMemberInfo; session: StartedWebSession }
  | { type: "invalid" }
  | { type: "expired" }
  | { type: "used" }
  | { type: "revoked" };

/** A live web console session with the active staff member it belongs to. */
export interface StaffWebSessionInfo {
  staff: StaffMemberInfo;
  csrfToken: string;
}

/**
 * Staff sign-in to the web console without passwords: a registered staff
 * member asks in a chat for a one-time link (the chat account is the proof of
 * who they are); opening it starts a web session. Tokens are stored only as
 * SHA-256 hashes, in the `StaffSignInLink` table (Prisma, decision record
 * 0007), and work once, for {@link SIGN_IN_LINK_MINUTES}.
 */
export interface StaffSignIn {
  request(who: Pick<StaffIdentity, "channel" | "userId">): Promise<SignInRequest>;
  /** Redeems a token: marks it used first, conditionally, so of two racing redemptions exactly one signs in. */
  redeem(token: string): Promise<SignInResult>;
  /**
   * The session a cookie carries, if it is live and its member still active
   * staff (checked on every call, so a revoked member is refused even should
   * ending their sessions have failed); a session of a revoked member is ended.
   */
  session(sessionId: string): Promise<StaffWebSessionInfo | undefined>;
  /** Ends one session (sign-out). */
  signOut(sessionId: string): Promise<void>;
  /**
   * Deletes links expired for over a day (until then a late click is told
   * "expired" rather than "invalid") and ended sessions the store still holds;
   * the scheduler runs it. Returns how many of each.
   */
  sweep(): Promise<{ links: number; sessions: number }>;
}

/** Creates the sign-in of one town; `clock` is "now" (the system clock when absent). */
export function createStaffSignIn(deps: {
  prisma: PrismaClient;
  townCode: string;
  registry: StaffRegistry;
  webSessions: WebSessions;
  clock?: () => Date;
}): StaffSignIn {
  const { prisma, townCode, registry, webSessions } = deps;
  const clock = deps.clock ?? (() => new Date());

  return {
    async request(who) {
      const staff = await registry.find(who);
      if (!staff) return { type: "notStaff" };
      const token = randomToken();
      const now = clock();
      const expiresAt = new Date(now.getTime() + SIGN_IN_LINK_MINUTES * 60_000);
      await prisma.staffSignInLink.create({
        data: { townCode, staffId: staff.staffId, tokenHash: hashToken(token), expiresAt, createdAt: now },
      });
      return { type: "created", token, expiresAt };
    },

    async redeem(token) {
      const link = await prisma.staffSignInLink.findUnique({ where: { tokenHash: hashToken(token) } });
      if (!link || link.townCode !== townCode) return { type: "invalid" };
      if (link.usedAt) return { type: "used" };
      const now = clock();
      if (link.expiresAt.getTime() <= now.getTime()) return { type: "expired" };
      const claimed = await prisma.staffSignInLink.updateMany({ where: { id: link.id, usedAt: null }, data: { usedAt: now } });
      if (claimed.count === 0) return { type: "used" };
      const staff = await registry.findById(link.staffId);
      if (!staff) return { type: "revoked" };
      return { type: "signedIn", staff, session: await webSessions.start(staff.staffId) };
    },

    async session(sessionId) {
      const live = await webSessions.resume(sessionId);
      if (!live) return undefined;
      const staff = await registry.findById(live.staffId);
      if (staff) return { staff, csrfToken: live.csrfToken };
      await webSessions.end(sessionId);
      return undefined;
    },

    async signOut(sessionId) {
      await webSessions.end(sessionId);
    },

    async sweep() {
      const before = new Date(clock().getTime() - KEEP_EXPIRED_LINKS_MS);
      const links = await prisma.staffSignInLink.deleteMany({ where: { townCode, expiresAt: { lt: before } } });
      return { links: links.count, sessions: await webSessions.sweep() };
    },
  };
}
