import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { StaffRegistry } from "../../../src/domain/staff/registry.ts";
import type { StaffSignIn } from "../../../src/domain/staff/sign-in.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { bindStaff, chatPerson, signInLink, staffSide } from "../../support/console.ts";

const person = chatPerson;
const MINUTE = 60_000;
const bind = (registry: StaffRegistry, id: string, role: "ADMIN" | "DISTRICT_STAFF" = "DISTRICT_STAFF") =>
  bindStaff(registry, id, { role });

describe("the web console's sign-in over HTTP", () => {
  let app: TestApp;
  let registry: StaffRegistry;
  let signIn: StaffSignIn;

  beforeAll(async () => {
    app = await startTestApp({ env: {} });
    ({ registry, signIn } = staffSide(app));
    await bind(registry, "admin", "ADMIN");
  }, 120_000);
  afterAll(async () => {
    await app.stop();
  });

  const linkFor = (id: string, side: StaffSignIn = signIn) => signInLink(app, side, id);

  /** Opens a link as a browser would, without following the redirect; the session cookie's value when one is set. */
  async function open(link: string) {
    const response = await fetch(link, { redirect: "manual" });
    const setCookie = response.headers.get("set-cookie");
    return { response, setCookie, cookie: setCookie?.split(";")[0] };
  }

  const session = (cookie: string | undefined) => fetch(`${app.httpUrl}/console/session`, { headers: cookie ? { cookie } : {} });
  const signOut = (cookie: string, init: { csrf?: string; form?: string } = {}) =>
    fetch(`${app.httpUrl}/console/sign-out`, {
      method: "POST",
      redirect: "manual",
      headers: {
        cookie,
        ...(init.csrf ? { "x-csrf-token": init.csrf } : {}),
        ...(init.form !== undefined ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(init.form !== undefined ? { body: init.form } : {}),
    });

  it("opening a link sets an HttpOnly, SameSite=Lax session cookie for the whole site and redirects to the console", async () => {
    await bind(registry, "opener");
    const { response, setCookie, cookie } = await open(await linkFor("opener"));
    expect(response.status).toBe(303);
    expect(new URL(response.headers.get("location") ?? "", response.url).pathname).toBe("/console");
    expect(setCookie).toMatch(/^linli_console=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Lax; Path=\/; Max-Age=43\d{3}$/);
    expect(response.headers.get("cache-control")).toBe("no-store");

    const answer = await session(cookie);
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { staff: unknown; csrfToken: string };
    expect(body).toEqual({
      staff: { label: "opener 工作人员", role: "DISTRICT_STAFF" },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
  });

  it("the session API refuses a request without a cookie or with one no session has", async () => {
    const none = await session(undefined);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("not_signed_in");
    const made_up = await session("linli_console=made-up-session-id");
    expect(made_up.status).toBe(401);
    expect(made_up.headers.get("set-cookie")).toBe("linli_console=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
  });

  it("a used, an expired or an unknown link gets a bilingual page saying to send /web again, and no cookie", async () => {
    await bind(registry, "late");
    const used = await linkFor("late");
    expect((await open(used)).response.status).toBe(303);
    const again = await open(used);
    expect(again.response.status).toBe(410);
    expect(again.setCookie).toBeNull();
    const page = await again.response.text();
    expect(page).toContain("这个登录链接已经用过了");
    expect(page).toContain("This sign-in link has been used already");
    expect(page).toContain("/web");
    expect(again.response.headers.get("content-security-policy")).toContain("default-src 'none'");

    const { signIn: earlier } = staffSide(app, () => new Date(Date.now() - 11 * MINUTE));
    const expired = await open(await linkFor("late", earlier));
    expect(expired.response.status).toBe(410);
    expect(expired.setCookie).toBeNull();
    expect(await expired.response.text()).toContain("has expired");

    const unknown = await open(`${app.httpUrl}/console/sign-in?token=not-a-token`);
    expect(unknown.response.status).toBe(400);
    expect(unknown.setCookie).toBeNull();
    expect((await open(`${app.httpUrl}/console/sign-in`)).response.status).toBe(400);
  });

  it("a revoked member's cookie is refused from then on", async () => {
    const member = await bind(registry, "leaver");
    const { cookie } = await open(await linkFor("leaver"));
    expect((await session(cookie)).status).toBe(200);
    expect(await registry.revoke(person("admin"), member.staffId)).toEqual({ type: "revoked" });
    expect((await session(cookie)).status).toBe(401);
  });

  it("signing out needs the session's CSRF token: without it or with a wrong one nothing changes; with it the session ends", async () => {
    await bind(registry, "signer");
    const { cookie } = await open(await linkFor("signer"));
    if (!cookie) throw new Error("no cookie");
    const { csrfToken } = (await (await session(cookie)).json()) as { csrfToken: string };

    const without = await signOut(cookie);
    expect(without.status).toBe(403);
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe("csrf_token_mismatch");
    expect((await signOut(cookie, { csrf: `${csrfToken.slice(0, -1)}x` })).status).toBe(403);
    expect((await signOut(cookie, { form: "csrf=wrong" })).status).toBe(403);
    expect((await session(cookie)).status).toBe(200);

    const out = await signOut(cookie, { form: `csrf=${encodeURIComponent(csrfToken)}` });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toBe("linli_console=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    expect(await out.text()).toContain("You have signed out");
    expect((await session(cookie)).status).toBe(401);
    expect((await signOut(cookie, { csrf: csrfToken })).status).toBe(401);
  });
});

describe("the web console's sign-in behind HTTPS", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: { PUBLIC_URL: "https://linli.example.cn/" } });
  }, 120_000);
  afterAll(async () => {
    await app.stop();
  });

  it("marks the session cookie Secure", async () => {
    const { registry, signIn } = staffSide(app);
    await bind(registry, "secure");
    const request = await signIn.request(person("secure"));
    if (request.type !== "created") throw new Error(request.type);
    const response = await fetch(`${app.httpUrl}/console/sign-in?token=${request.token}`, { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("set-cookie")).toMatch(/; HttpOnly; SameSite=Lax; Path=\/; Max-Age=\d+; Secure$/);
  });
});

describe("the web console's sign-in with REDIS_URL set", () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: { REDIS_URL: inject("redisUrl") } });
  }, 120_000);
  afterAll(async () => {
    await app.stop();
  });

  it("keeps the session in Redis, not in the database, and signing out ends it", async () => {
    const { registry, signIn } = staffSide(app);
    await bind(registry, "redis-user");
    const request = await signIn.request(person("redis-user"));
    if (request.type !== "created") throw new Error(request.type);
    const opened = await fetch(`${app.httpUrl}/console/sign-in?token=${request.token}`, { redirect: "manual" });
    const cookie = opened.headers.get("set-cookie")?.split(";")[0] ?? "";
    const answer = await fetch(`${app.httpUrl}/console/session`, { headers: { cookie } });
    expect(answer.status).toBe(200);
    expect(await app.db.prisma.staffWebSession.count()).toBe(0);

    const { csrfToken } = (await answer.json()) as { csrfToken: string };
    const out = await fetch(`${app.httpUrl}/console/sign-out`, { method: "POST", headers: { cookie, "x-csrf-token": csrfToken } });
    expect(out.status).toBe(200);
    expect((await fetch(`${app.httpUrl}/console/session`, { headers: { cookie } })).status).toBe(401);
  });
});
