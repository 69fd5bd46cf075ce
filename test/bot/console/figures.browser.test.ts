import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaffRegistry } from "../../../src/domain/staff/registry.ts";
import { createStaffSignIn } from "../../../src/domain/staff/sign-in.ts";
import { databaseWebSessions } from "../../../src/domain/staff/web-session-table.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { launchChromium, openWatchedPage, saveScreenshot, VIEWPORTS } from "../../support/browser.ts";
import { seedFigureCases } from "../../support/figures-town.ts";

const STAFF = { channel: "telegram", userId: "figures-admin", chatId: "figures-admin", locale: "zh" as const };

describe("the figures page and the public pages in Chromium", () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp({ env: {} }), launchChromium()]);
    await seedFigureCases(app.db);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** A one-time sign-in link for an academy staff member: figures are the whole town's for every role. */
  async function signInLink(): Promise<string> {
    const webSessions = databaseWebSessions(app.db.sql);
    const registry = createStaffRegistry({ prisma: app.db.prisma, sql: app.db.sql, townCode: "wujing", webSessions });
    const invite = await registry.invite("bootstrap", {
      role: "ACADEMY_STAFF",
      label: "学院工作人员",
      districtCodes: [],
      roadCommitteeCodes: [],
    });
    if (invite.type !== "created") throw new Error(invite.type);
    const bound = await registry.redeem(invite.code, STAFF);
    if (bound.type !== "bound") throw new Error(bound.type);
    const request = await createStaffSignIn({ prisma: app.db.prisma, townCode: "wujing", registry, webSessions }).request(STAFF);
    if (request.type !== "created") throw new Error(request.type);
    return `${app.httpUrl}/console/sign-in?token=${request.token}`;
  }

  const cellsOf = (page: Page, table: string, code: string) =>
    page.locator(`#${table}-heading ~ .figures-pair tr[data-code="${code}"] td`).allInnerTexts();

  it("the figures page shows the seeded cases' numbers in its tables and draws every chart without a policy violation", async () => {
    const link = await signInLink();
    const { context, page, violations } = await openWatchedPage(browser, { viewport: VIEWPORTS.desktop });
    await page.goto(link);
    await page.goto(`${app.httpUrl}/console/figures`);
    expect(await page.locator("h1").innerText()).toBe("统计");

    const summary = async (key: string) => (await page.locator(`[data-figure="${key}"] dd`).innerText()).trim();
    expect(await summary("received")).toBe("2");
    expect(await summary("resolved")).toBe("3");
    expect(await summary("open")).toBe("0");
    expect(await summary("overdue")).toBe("0");
    expect(await summary("claim")).toBe("1 小时");
    expect(await summary("resolve")).toBe("1 个工作日 1 小时");
    expect(await summary("reopen")).toBe("33.3%");
    expect(await summary("rating")).toBe("3");

    // District 1 holds B: received, resolved twice, nothing open, claimed in 1 h, resolved in 570 and 2040 min (median 1305 = 2 working days and 285 min), reopened once, rated 2.
    expect(await cellsOf(page, "districts", "d1")).toEqual(["1", "2", "0", "0", "1 小时", "2 个工作日 4.8 小时", "50%", "1", "2"]);
    expect(await cellsOf(page, "districts", "d2")).toEqual(["1", "1", "0", "0", "1 小时", "2.5 小时", "0%", "1", "4"]);
    expect(await cellsOf(page, "committees", "rc1")).toEqual(["2", "3", "0", "0", "1 小时", "1 个工作日 1 小时", "33.3%", "2", "3"]);
    const stars = await page.locator("#ratings-heading ~ .figures-pair tbody tr td:first-of-type").allInnerTexts();
    expect(stars).toEqual(["0", "1", "0", "1", "0"]);

    const charts = page.locator(".chart");
    expect(await charts.count()).toBeGreaterThanOrEqual(6);
    for (const chart of await charts.all()) {
      await expect.poll(() => chart.locator("canvas").count()).toBe(1);
      expect(await chart.getAttribute("role")).toBe("img");
      expect(await chart.getAttribute("aria-label")).toMatch(/^图表：/);
    }
    await saveScreenshot(page, "figures-desktop");
    await page.setViewportSize(VIEWPORTS.phone);
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await saveScreenshot(page, "figures-phone");
    await page.goto(`${app.httpUrl}/console/figures?lang=en&weeks=4`);
    expect(await summary("resolve")).toBe("1 working day 1 h");
    expect(await page.locator("select[name=weeks] option[selected]").innerText()).toBe("Last 4 weeks");
    await expect.poll(() => page.locator(".chart canvas").count()).toBe(await charts.count());
    await saveScreenshot(page, "figures-phone-en");
    expect(violations).toEqual([]);
    await context.close();
  });

  for (const [name, viewport] of Object.entries(VIEWPORTS)) {
    it(`the board and the compact page fit a ${name} screen without scrolling sideways and without a policy violation`, async () => {
      const { context, page, violations } = await openWatchedPage(browser, { viewport, locale: name === "phone" ? "zh-CN" : "en-GB" });
      for (const path of ["board", "compact"]) {
        await page.goto(`${app.httpUrl}/${path}`);
        expect(await page.locator("table").count()).toBeGreaterThan(0);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        await saveScreenshot(page, `${path}-${name}`);
      }
      expect(violations).toEqual([]);
      await context.close();
    });
  }
});
