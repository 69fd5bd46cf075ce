import { readFile } from "node:fs/promises";
import ExcelJS from "exceljs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "../../../src/db/sql.ts";
import { createStaffRegistry, type StaffRegistry } from "../../../src/domain/staff/registry.ts";
import { createStaffSignIn, type StaffSignIn } from "../../../src/domain/staff/sign-in.ts";
import { databaseWebSessions } from "../../../src/domain/staff/web-session-table.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { launchChromium, openWatchedPage, saveScreenshot, VIEWPORTS } from "../../support/browser.ts";
import { seedCases } from "../../support/cases.ts";

describe("the case desk in Chromium", () => {
  let app: TestApp;
  let browser: Browser;
  let registry: StaffRegistry;
  let signIn: StaffSignIn;
  let district2: string;

  const who = (id: string) => ({ channel: "telegram", userId: id, chatId: id, locale: "zh" as const });
  /** A fresh sign-in link for a member, as /web in the chat sends it. */
  const linkFor = async (id: string) => {
    const link = await signIn.request(who(id));
    if (link.type !== "created") throw new Error(link.type);
    return `${app.httpUrl}/console/sign-in?token=${link.token}`;
  };

  beforeAll(async () => {
    app = await startTestApp({ env: {} });
    browser = await launchChromium();
    const webSessions = databaseWebSessions(app.db.sql);
    registry = createStaffRegistry({ prisma: app.db.prisma, sql: app.db.sql, townCode: "wujing", webSessions });
    signIn = createStaffSignIn({ prisma: app.db.prisma, townCode: "wujing", registry, webSessions });
    await seedCases(app.db.sql, { townCode: "wujing", count: 400, now: new Date(), spacingMinutes: 180, claimedBy: "第一路管会值班员" });
    const invite = await registry.invite("bootstrap", { role: "ADMIN", label: "镇管理员", districtCodes: [], roadCommitteeCodes: [] });
    if (invite.type !== "created" || (await registry.redeem(invite.code, who("admin"))).type !== "bound") throw new Error("no admin");
    district2 = (await app.db.prisma.district.findFirstOrThrow({ where: { code: "d2" } })).name;
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it("signs in by link, filters by status and district, pages, and downloads the workbook of the same cases", async () => {
    const expected = (
      await app.db.sql.query<{ reference: string }>(
        sql`SELECT r."reference" FROM "Report" r JOIN "District" d ON d."id" = r."districtId"
            WHERE r."status" = 'SUBMITTED' AND d."code" = 'd2' ORDER BY r."createdAt" DESC, r."reference" DESC`,
      )
    ).map((row) => row.reference);
    expect(expected.length).toBeGreaterThan(25);
    const { context, page, violations } = await openWatchedPage(browser, { viewport: VIEWPORTS.desktop });
    await page.goto(await linkFor("admin"));
    expect(new URL(page.url()).pathname).toBe("/console/cases");
    await saveScreenshot(page, "console-cases-desktop");

    await page.getByLabel("已提交").check();
    await page.getByLabel("片区").selectOption("d2");
    await page.getByRole("button", { name: "筛选" }).click();
    await page.waitForURL(/status=SUBMITTED/);
    const query = new URL(page.url()).searchParams;
    expect(query.getAll("status")).toEqual(["SUBMITTED"]);
    expect(query.get("district")).toBe("d2");

    await expect.poll(() => page.locator("tbody tr").count()).toBe(25);
    expect(await page.locator(".range").textContent()).toBe(`第 1–25 条，共 ${expected.length} 条`);
    expect(await page.locator("tbody th a").allTextContents()).toEqual(expected.slice(0, 25));
    expect(new Set(await page.locator("tbody .status").allTextContents())).toEqual(new Set(["已提交"]));
    expect(new Set(await page.locator('tbody td[data-label="片区"]').allTextContents())).toEqual(new Set([district2]));
    await saveScreenshot(page, "console-cases-filtered-desktop");

    await page.getByRole("link", { name: "下一页" }).click();
    await page.waitForURL(/page=2/);
    expect(await page.locator("tbody th a").allTextContents()).toEqual(expected.slice(25, 50));
    expect(await page.locator(".range").textContent()).toBe(`第 26–${Math.min(50, expected.length)} 条，共 ${expected.length} 条`);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Excel（.xlsx）" }).click()]);
    expect(download.suggestedFilename()).toMatch(/^案件-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const book = new ExcelJS.Workbook();
    const bytes = await readFile((await download.path())!);
    await book.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ExcelJS.Buffer);
    const sheet = book.getWorksheet("案件")!;
    const references = sheet.getColumn(1).values.slice(2).map(String);
    expect(references).toEqual(expected);

    expect(violations).toEqual([]);
    await context.close();
  });

  it("fits a phone, one card per case, and its script updates a shown case's status or offers a refresh", async () => {
    const { context, page, violations } = await openWatchedPage(browser, { viewport: VIEWPORTS.phone });
    const [shown] = await app.db.sql.query<{ reference: string }>(
      sql`SELECT "reference" FROM "Report" WHERE "status" = 'SUBMITTED' ORDER BY "createdAt" DESC, "reference" DESC LIMIT 1`,
    );
    // The console's event stream, as /console/events sends it: one change to a case on the page, one to a case that is not.
    await page.route("**/console/events", (route) =>
      route.fulfill({
        status: 200,
        headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-store" },
        body: [
          `event: case\ndata: ${JSON.stringify({ reference: shown!.reference, status: "ACKNOWLEDGED" })}\n\n`,
          `event: case\ndata: ${JSON.stringify({ reference: "NOT-ON-THIS-PAGE", status: "SUBMITTED" })}\n\n`,
        ].join(""),
      }),
    );
    await page.goto(await linkFor("admin"));
    await page.goto(`${app.httpUrl}/console/cases?status=SUBMITTED`);
    const badge = page.locator(`tr[data-reference="${shown!.reference}"] .status`);
    await expect.poll(() => badge.textContent()).toBe("已受理");
    expect(await badge.getAttribute("class")).toBe("status status-ACKNOWLEDGED");
    await expect.poll(() => page.locator("#live-notice").isVisible()).toBe(true);
    expect(await page.locator("#live-notice a").getAttribute("href")).toBe("cases?status=SUBMITTED");

    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
    expect(widths.page).toBeLessThanOrEqual(widths.view);
    await saveScreenshot(page, "console-cases-phone");
    expect(violations).toEqual([]);
    await context.close();
  });
});
