import { createHash, timingSafeEqual } from "node:crypto";
import type { SignInResult, StaffSignIn } from "../../domain/staff/sign-in.ts";
import type { StaffMemberInfo } from "../../domain/staff/registry.ts";
import type { HttpRequest, HttpResponse, Route } from "../http/route.ts";
import { jsonError } from "../http/server.ts";
import { cookieValue } from "./cookies.ts";
import { readForm } from "./form.ts";

/** The cookie that carries a console session's id (never stored as such: the store keeps its hash). */
export const SESSION_COOKIE = "linli_console";
/** The header a script sends the CSRF token in; a plain form sends it as the field {@link CSRF_FIELD}. */
export const CSRF_HEADER = "x-csrf-token";
export const CSRF_FIELD = "csrf";

/** What {@link ConsoleAccess.requireStaffSession} found: the signed-in member, or the answer to send instead. */
export type StaffSessionCheck =
  | { ok: true; staff: StaffMemberInfo; csrfToken: string; sessionId: string }
  | { ok: false; response: HttpResponse };

/** The console's sign-in routes, and the check every console route starts with. */
export interface ConsoleAccess {
  routes: Route[];
  /**
   * The staff member a request is signed in as, re-checked as active staff on
   * every call; otherwise a 401 answer (which also clears a dead cookie). For
   * a method that changes state (anything but GET and HEAD) the CSRF token,
   * from the `X-CSRF-Token` header or the `csrf` form field, must match the
   * session's, compared in constant time; otherwise a 403 answer. Every
   * console route calls this first and acts only on `ok: true`.
   */
  requireStaffSession(request: HttpRequest): Promise<StaffSessionCheck>;
}

// The refusal and sign-out pages have no script, no style and no form: nothing for the policy to admit.
const PAGE_SECURITY_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const NOT_SIGNED_IN = {
  zh: "请先登录：在与「邻里」的私聊中发送 /web 获取登录链接。",
  en: "Please sign in: send /web in your private chat with Linli for a sign-in link.",
};

/**
 * Staff sign-in to the web console over HTTP. `GET /console/sign-in?token=`
 * redeems a link from /web, sets the session cookie (HttpOnly, SameSite=Lax,
 * Path=/, Secure when `secureCookies`) and redirects (303) to the console; a
 * bad link gets a small bilingual page and no cookie. `POST /console/sign-out`
 * ends the session. `GET /console/session` tells the console's script who is
 * signed in and the CSRF token its state-changing requests must carry.
 */
export function createConsoleAccess(options: { signIn: StaffSignIn; secureCookies: boolean }): ConsoleAccess {
  const { signIn, secureCookies } = options;
  const cookie = (value: string, maxAgeSeconds: number) =>
    [
      `${SESSION_COOKIE}=${value}`,
      "HttpOnly",
      "SameSite=Lax",
      "Path=/",
      `Max-Age=${maxAgeSeconds}`,
      ...(secureCookies ? ["Secure"] : []),
    ].join("; ");
  const clearCookie = cookie("", 0);

  const requireStaffSession: ConsoleAccess["requireStaffSession"] = async (request) => {
    const sessionId = cookieValue(request.headers.cookie, SESSION_COOKIE);
    const session = sessionId ? await signIn.session(sessionId) : undefined;
    if (!sessionId || !session) {
      return {
        ok: false,
        response: jsonError(401, "not_signed_in", NOT_SIGNED_IN, sessionId ? { headers: { "Set-Cookie": clearCookie } } : {}),
      };
    }
    if (request.method !== "GET" && request.method !== "HEAD" && !sameToken(csrfTokenOf(request), session.csrfToken)) {
      return {
        ok: false,
        response: jsonError(403, "csrf_token_mismatch", {
          zh: "请求缺少有效的安全令牌，请刷新页面后重试。",
          en: "The request lacks a valid security token. Please reload the page and try again.",
        }),
      };
    }
    return { ok: true, staff: session.staff, csrfToken: session.csrfToken, sessionId };
  };

  const signInRoute: Route = {
    method: "GET",
    path: "/console/sign-in",
    async handle(request) {
      const token = request.query.get("token");
      const result: SignInResult = token ? await signIn.redeem(token) : { type: "invalid" };
      if (result.type !== "signedIn") return refusalPage(result.type);
      const maxAge = Math.max(0, Math.floor((result.session.endsAt.getTime() - Date.now()) / 1000));
      // Relative, so a PUBLIC_URL with a path prefix keeps it: /<prefix>/console/sign-in → /<prefix>/console.
      return {
        status: 303,
        headers: { Location: "../console", "Set-Cookie": cookie(result.session.sessionId, maxAge), "Cache-Control": "no-store" },
      };
    },
  };

  const signOutRoute: Route = {
    method: "POST",
    path: "/console/sign-out",
    async handle(request) {
      const check = await requireStaffSession(request);
      if (!check.ok) return check.response;
      await signIn.signOut(check.sessionId);
      return page(200, "已退出网页工作台。", "You have signed out of the web console.", { "Set-Cookie": clearCookie });
    },
  };

  const sessionRoute: Route = {
    method: "GET",
    path: "/console/session",
    async handle(request) {
      const check = await requireStaffSession(request);
      if (!check.ok) return check.response;
      return {
        status: 200,
        headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" },
        body: JSON.stringify({ staff: { label: check.staff.label, role: check.staff.role }, csrfToken: check.csrfToken }),
      };
    },
  };

  return { routes: [signInRoute, signOutRoute, sessionRoute], requireStaffSession };
}

/** The page a link that signs nobody in opens: what went wrong, and to send /web again. */
function refusalPage(reason: Exclude<SignInResult["type"], "signedIn">): HttpResponse {
  const again = {
    zh: "请在与「邻里」的私聊中重新发送 /web 获取新的链接。",
    en: "Please send /web again in your private chat with Linli for a new link.",
  };
  switch (reason) {
    case "invalid":
      return page(400, `这个登录链接无效。${again.zh}`, `This sign-in link is not valid. ${again.en}`);
    case "expired":
      return page(
        410,
        `这个登录链接已过期（10 分钟内有效）。${again.zh}`,
        `This sign-in link has expired (links work for 10 minutes). ${again.en}`,
      );
    case "used":
      return page(
        410,
        `这个登录链接已经用过了，每个链接只能用一次。${again.zh}`,
        `This sign-in link has been used already; each link works once. ${again.en}`,
      );
    case "revoked":
      return page(403, "您已不再是登记的工作人员，无法登录。", "You are no longer registered staff and cannot sign in.");
  }
}

function page(status: number, zh: string, en: string, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": PAGE_SECURITY_POLICY,
      "Cache-Control": "no-store",
      ...headers,
    },
    body: [
      "<!doctype html>",
      '<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
      "<title>邻里 · Linli</title></head><body>",
      `<p>${zh}</p>`,
      `<p lang="en">${en}</p>`,
      "</body></html>",
    ].join("\n"),
  };
}

function csrfTokenOf(request: HttpRequest): string | undefined {
  const header = request.headers[CSRF_HEADER];
  if (header) return header;
  // A plain form sends it as a field, urlencoded or (a form with a file) multipart.
  return readForm(request).fields.get(CSRF_FIELD);
}

/** Compares digests, which have equal lengths, so neither the token nor its length leaks through timing. */
function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
