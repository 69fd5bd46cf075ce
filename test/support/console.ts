import { createStaffRegistry, type StaffGrant, type StaffMemberInfo, type StaffRegistry } from "../../src/domain/staff/registry.ts";
import { createStaffSignIn, type StaffSignIn } from "../../src/domain/staff/sign-in.ts";
import { databaseWebSessions } from "../../src/domain/staff/web-session-table.ts";
import type { TestApp } from "./app.ts";

/** A chat account as the staff registry binds it, on Telegram. */
export const chatPerson = (id: string) => ({ channel: "telegram", userId: id, chatId: id, locale: "zh" as const });

/** Staff and their sign-in links made on a running app's database, as /web in a chat makes them. */
export function staffSide(
  app: Pick<TestApp, "db">,
  clock: () => Date = () => new Date(),
): { registry: StaffRegistry; signIn: StaffSignIn } {
  const webSessions = databaseWebSessions(app.db.sql);
  const registry = createStaffRegistry({ prisma: app.db.prisma, sql: app.db.sql, townCode: "wujing", webSessions });
  return { registry, signIn: createStaffSignIn({ prisma: app.db.prisma, townCode: "wujing", registry, webSessions, clock }) };
}

/** Invites and binds the Telegram account `id` as staff with `grant` (a district staff member of d2 unless told otherwise). */
export async function bindStaff(registry: StaffRegistry, id: string, grant: Partial<StaffGrant> = {}): Promise<StaffMemberInfo> {
  const role = grant.role ?? "DISTRICT_STAFF";
  const invite = await registry.invite("bootstrap", {
    role,
    label: grant.label ?? `${id} 工作人员`,
    districtCodes: grant.districtCodes ?? (role === "ADMIN" ? [] : ["d2"]),
    roadCommitteeCodes: grant.roadCommitteeCodes ?? [],
  });
  if (invite.type !== "created") throw new Error(`invite: ${invite.type}`);
  const bound = await registry.redeem(invite.code, chatPerson(id));
  if (bound.type !== "bound") throw new Error(`redeem: ${bound.type}`);
  return bound.staff;
}

/** A one-time sign-in link for the bound account `id`, as /web would send it. */
export async function signInLink(app: Pick<TestApp, "httpUrl">, signIn: StaffSignIn, id: string): Promise<string> {
  const request = await signIn.request(chatPerson(id));
  if (request.type !== "created") throw new Error(`sign-in: ${request.type}`);
  return `${app.httpUrl}/console/sign-in?token=${request.token}`;
}

/** A console session for the bound account `id`: the Cookie header to send and the CSRF token its forms carry. */
export async function signedIn(
  app: Pick<TestApp, "httpUrl">,
  signIn: StaffSignIn,
  id: string,
): Promise<{ cookie: string; csrfToken: string }> {
  const opened = await fetch(await signInLink(app, signIn, id), { redirect: "manual" });
  const cookie = opened.headers.get("set-cookie")?.split(";")[0];
  if (opened.status !== 303 || !cookie) throw new Error(`opening the sign-in link answered ${opened.status}`);
  const session = await fetch(`${app.httpUrl}/console/session`, { headers: { cookie } });
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  return { cookie, csrfToken };
}
