import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GridDirectory } from "../../../src/domain/grid/directory.ts";
import type { StaffGrant } from "../../../src/domain/staff/registry.ts";
import type { TownServices } from "../../../src/services.ts";
import { caseActionChoice } from "../../../src/flows/staff/case-actions.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { converse } from "../../support/conversation.ts";
import { declining, LABELLED_MESSAGES, TINY_PNG, TINY_TEXT_FILE, townServices } from "../../support/town.ts";

const person = (userId: string) => ({ channel: "telegram", userId, chatId: userId, locale: "zh" as const });
const RC1: StaffGrant = { role: "DISTRICT_STAFF", label: "第一路管会值班", districtCodes: [], roadCommitteeCodes: ["rc1"] };
const D4: StaffGrant = { role: "DISTRICT_STAFF", label: "第四片区值班", districtCodes: ["d4"], roadCommitteeCodes: [] };

/** A browser's signed-in session: its cookie and the CSRF token its forms carry. */
interface Browser {
  cookie: string;
  csrf: string;
}

describe("the console's case page, actions and live updates over HTTP", () => {
  let app: TestApp;
  let services: TownServices;
  let reporters = 0;

  beforeAll(async () => {
    app = await startTestApp({ env: {} });
    const grid = await GridDirectory.open(app.db.prisma, "wujing", LABELLED_MESSAGES);
    services = townServices({ db: app.db, grid, townCode: "wujing" });
    await bind("rc1-clerk", RC1);
    await bind("rc1-colleague", { ...RC1, label: "第一路管会同事" });
    await bind("d4-clerk", D4);
  }, 120_000);
  afterAll(async () => {
    await app.stop();
  });

  async function bind(userId: string, grant: StaffGrant) {
    const invite = await services.staff.invite("bootstrap", grant);
    if (invite.type !== "created") throw new Error(invite.type);
    const bound = await services.staff.redeem(invite.code, person(userId));
    if (bound.type !== "bound") throw new Error(bound.type);
  }

  async function signIn(userId: string): Promise<Browser> {
    const request = await services.signIn.request(person(userId));
    if (request.type !== "created") throw new Error(request.type);
    const opened = await fetch(`${app.httpUrl}/console/sign-in?token=${request.token}`, { redirect: "manual" });
    const cookie = opened.headers.get("set-cookie")?.split(";")[0] ?? "";
    const session = (await (await fetch(`${app.httpUrl}/console/session`, { headers: { cookie } })).json()) as { csrfToken: string };
    return { cookie, csrf: session.csrfToken };
  }

  /** A new report on a road of the first road committee, by a reporter who allows staff to contact them. */
  async function fileOnRc1(description = "门口堆满纸箱，店主电话13812345678"): Promise<string> {
    const category = await app.db.prisma.reportCategory.findFirstOrThrow({
      where: { routeToRoadCommitteeId: null, routeToDistrictId: null, code: { not: "other" } },
      orderBy: { sortOrder: "asc" },
    });
    const open = (await app.db.prisma.report.findMany({ select: { reference: true } })).map((r) => r.reference);
    const result = await services.reports.submit(
      { categoryCode: category.code, place: { roadCode: "yongde", houseNumber: 12 }, description, photoIds: [], contactAllowed: true },
      { channel: "telegram", userId: `reporter-${++reporters}`, chatId: `reporter-${reporters}`, locale: "zh", displayName: "王阿姨" },
      declining(open),
    );
    if (result.type !== "created") throw new Error(result.type);
    return result.reference;
  }

  const page = (browser: Browser | undefined, query: string) =>
    fetch(`${app.httpUrl}/console/case?${query}`, { headers: browser ? { cookie: browser.cookie } : {}, redirect: "manual" });
  const post = (browser: Browser | undefined, reference: string, fields: Record<string, string>) =>
    fetch(`${app.httpUrl}/console/case?ref=${encodeURIComponent(reference)}`, {
      method: "POST",
      redirect: "manual",
      headers: { ...(browser ? { cookie: browser.cookie } : {}), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  const statusOf = async (reference: string) => (await app.db.prisma.report.findUniqueOrThrow({ where: { reference } })).status;
  const eventCount = async (reference: string) => app.db.prisma.reportEvent.count({ where: { report: { reference } } });

  it("shows the case as /case does: the description as written, place with a map link, contact as allowed, and the history", async () => {
    const reference = await fileOnRc1();
    const browser = await signIn("rc1-clerk");
    const response = await page(browser, `ref=${reference}&lang=en`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    const body = await response.text();
    expect(body).toContain("门口堆满纸箱，店主电话13812345678");
    expect(body).toContain(`href="map?ref=${reference}"`);
    expect(body).toContain("王阿姨");
    expect(body).toContain("Report submitted");
    expect(body).toContain('src="assets/case.js"');
    expect(body).toContain('name="csrf"');
  });

  it("answers 401 without a session, 404 for an unknown reference and 403 for a case outside the member's area, telling nothing of it", async () => {
    const reference = await fileOnRc1("只有路管会能看的描述");
    expect((await page(undefined, `ref=${reference}`)).status).toBe(401);
    const stranger = await page(await signIn("d4-clerk"), `ref=${reference}`);
    expect(stranger.status).toBe(403);
    const refused = await stranger.text();
    expect(refused).not.toContain("只有路管会能看的描述");
    expect(refused).toContain("这个案件不在您的辖区");
    expect(refused).toContain("do not include this case");
    const unknown = await page(await signIn("rc1-clerk"), "ref=XX-2026-999999");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("There is no case with this reference");
  });

  it("refuses an action without a session, without the CSRF token or outside the member's area, and changes nothing", async () => {
    const reference = await fileOnRc1();
    const before = await eventCount(reference);
    expect((await post(undefined, reference, { action: "claim" })).status).toBe(401);
    const clerk = await signIn("rc1-clerk");
    expect((await post(clerk, reference, { action: "claim" })).status).toBe(403);
    expect((await post(clerk, reference, { action: "claim", csrf: "wrong" })).status).toBe(403);
    const stranger = await signIn("d4-clerk");
    expect((await post(stranger, reference, { action: "claim", csrf: stranger.csrf })).status).toBe(403);
    expect(
      (await post(stranger, reference, { action: "reassign", target: "district:d4", note: "我们片区来处理", csrf: stranger.csrf })).status,
    ).toBe(403);
    expect(await statusOf(reference)).toBe("SUBMITTED");
    expect(await eventCount(reference)).toBe(before);
  });

  it("claims, resolves with a note and a photo through a multipart form, and shows the photo only to staff who may see the case", async () => {
    const reference = await fileOnRc1();
    const clerk = await signIn("rc1-clerk");
    const claimed = await post(clerk, reference, { action: "claim", csrf: clerk.csrf });
    expect(claimed.status).toBe(303);
    expect(claimed.headers.get("location")).toBe(`case?ref=${reference}&done=claim`);
    expect(await statusOf(reference)).toBe("ACKNOWLEDGED");
    expect(await (await page(clerk, `ref=${reference}&done=claim&lang=en`)).text()).toContain("Claimed.");

    const refusedForm = new FormData();
    refusedForm.set("csrf", clerk.csrf);
    refusedForm.set("action", "resolve");
    refusedForm.set("note", "纸箱已清走，门口恢复通行");
    refusedForm.set("photo", new Blob([new Uint8Array(TINY_TEXT_FILE)]), "photo.jpg");
    const refused = await fetch(`${app.httpUrl}/console/case?ref=${reference}`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: clerk.cookie },
      body: refusedForm,
    });
    expect(refused.headers.get("location")).toBe(`case?ref=${reference}&refused=photo`);
    expect(await statusOf(reference)).toBe("ACKNOWLEDGED");

    const form = new FormData();
    form.set("csrf", clerk.csrf);
    form.set("action", "resolve");
    form.set("note", "纸箱已清走，门口恢复通行");
    form.set("photo", new Blob([new Uint8Array(TINY_PNG(7))], { type: "image/png" }), "after.png");
    const resolved = await fetch(`${app.httpUrl}/console/case?ref=${reference}`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: clerk.cookie },
      body: form,
    });
    expect(resolved.headers.get("location")).toBe(`case?ref=${reference}&done=resolve`);
    expect(await statusOf(reference)).toBe("RESOLVED");
    const event = await app.db.prisma.reportEvent.findFirstOrThrow({ where: { report: { reference }, toStatus: "RESOLVED" } });
    expect(event.note).toBe("纸箱已清走，门口恢复通行");
    expect(event.photoId).not.toBeNull();
    const told = await app.db.prisma.outboxMessage.findMany({ where: { kind: "report.status", chatId: `reporter-${reporters}` } });
    expect(told.map((row) => (row.payload as { status: string }).status)).toEqual(["ACKNOWLEDGED", "RESOLVED"]);

    const reporter = { channel: "telegram", userId: `reporter-${reporters}`, chatId: `reporter-${reporters}`, locale: "zh" as const };
    expect(await services.reports.recordFeedback(reference, reporter, { rating: 4 })).toMatchObject({ type: "recorded" });
    const rated = await (await page(clerk, `ref=${reference}&lang=en`)).text();
    expect(rated).toContain("Resident&#39;s rating");
    expect(rated).toContain("4 of 5 stars");
    expect(rated).toContain("Photo of the work");

    const photoPath = `/console/case/photo?ref=${reference}&id=${event.photoId}`;
    const photo = await fetch(`${app.httpUrl}${photoPath}`, { headers: { cookie: clerk.cookie } });
    expect(photo.status).toBe(200);
    expect(photo.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await photo.arrayBuffer())).toEqual(TINY_PNG(7));
    expect((await fetch(`${app.httpUrl}${photoPath}`)).status).toBe(401);
    expect((await fetch(`${app.httpUrl}${photoPath}`, { headers: { cookie: (await signIn("d4-clerk")).cookie } })).status).toBe(403);
    const otherCase = await fileOnRc1();
    expect(
      (await fetch(`${app.httpUrl}/console/case/photo?ref=${otherCase}&id=${event.photoId}`, { headers: { cookie: clerk.cookie } })).status,
    ).toBe(404);
  });

  it("tells politely why an action in the wrong state or without a note did nothing", async () => {
    const reference = await fileOnRc1();
    const clerk = await signIn("rc1-clerk");
    const early = await post(clerk, reference, { action: "resolve", note: "已处理完毕", csrf: clerk.csrf });
    expect(early.headers.get("location")).toBe(`case?ref=${reference}&refused=badTransition`);
    expect(await (await page(clerk, `ref=${reference}&refused=badTransition&lang=en`)).text()).toContain("does not allow that");
    const noNote = await post(clerk, reference, { action: "reject", reason: "INVALID", note: "", csrf: clerk.csrf });
    expect(noNote.headers.get("location")).toBe(`case?ref=${reference}&refused=noteRequired`);
    expect(await statusOf(reference)).toBe("SUBMITTED");
    const shown = await (await page(clerk, `ref=${reference}&refused=noteRequired&lang=en`)).text();
    expect(shown).toContain("Please write a note of 5 to 1000 characters.");
  });

  it("reassigns a case to another district: the history names the move and the member who passed it on no longer sees it", async () => {
    const reference = await fileOnRc1();
    const clerk = await signIn("rc1-clerk");
    const moved = await post(clerk, reference, {
      action: "reassign",
      target: "district:d4",
      note: "属于第四片区的小区道路",
      csrf: clerk.csrf,
    });
    expect(moved.headers.get("location")).toBe(`case?ref=${reference}&done=reassign`);
    expect((await page(clerk, `ref=${reference}`)).status).toBe(403);
    const shown = await (await page(await signIn("d4-clerk"), `ref=${reference}&lang=en`)).text();
    expect(shown).toContain("Moved from Road Management Committee No. 1 to");
    expect(shown).toContain("第一路管会值班");
  });

  it("streams a change made by another member through chat, and never a case outside the member's area", async () => {
    const untouched = await fileOnRc1();
    const watched = await fileOnRc1();
    const clerk = await signIn("rc1-clerk");
    expect((await fetch(`${app.httpUrl}/console/events`)).status).toBe(401);
    const controller = new AbortController();
    const stream = await fetch(`${app.httpUrl}/console/events`, { headers: { cookie: clerk.cookie }, signal: controller.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const reader = stream.body!.getReader();
    let received = "";
    const readUntil = async (needle: string) => {
      const decoder = new TextDecoder();
      while (!received.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the stream ended");
        received += decoder.decode(value);
      }
    };
    // Give the poller its first read, which only marks where it starts.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const elsewhere = await services.reports.submit(
      {
        categoryCode: (await app.db.prisma.reportCategory.findFirstOrThrow({ where: { code: { not: "other" } } })).code,
        place: { districtCode: "d4" },
        description: "另一个片区的事",
        photoIds: [],
        contactAllowed: false,
      },
      { channel: "telegram", userId: "reporter-elsewhere", chatId: "reporter-elsewhere", locale: "zh" },
      declining((await app.db.prisma.report.findMany({ select: { reference: true } })).map((r) => r.reference)),
    );
    if (elsewhere.type !== "created") throw new Error(elsewhere.type);
    const colleague = converse(services, { channel: "telegram", userId: "rc1-colleague" });
    await colleague.choose(caseActionChoice("claim", watched));
    expect(await statusOf(watched)).toBe("ACKNOWLEDGED");

    await readUntil(`"reference":"${watched}","status":"ACKNOWLEDGED"`);
    controller.abort();
    expect(received).toContain("event: case");
    expect(received).not.toContain(elsewhere.reference);
    // Filed before the stream opened and not changed since: nothing to tell.
    expect(received).not.toContain(`"${untouched}"`);
  }, 30_000);
});
