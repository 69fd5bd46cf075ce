import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GridDirectory } from "../../../src/domain/grid/directory.ts";
import { createReportsService } from "../../../src/domain/reports/reports.ts";
import { createStaffRegistry } from "../../../src/domain/staff/registry.ts";
import { databaseWebSessions } from "../../../src/domain/staff/web-session-table.ts";
import { zh } from "../../../src/flows/i18n/zh.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { launchChromium, openWatchedPage, saveScreenshot, VIEWPORTS } from "../../support/browser.ts";
import { startFakeTelegram, type FakeChat, type FakeMessage, type FakeTelegram, type FakeUser } from "../../support/fake-telegram.ts";
import { declining, LABELLED_MESSAGES, TINY_PNG, TOWN_TIME_ZONE } from "../../support/town.ts";

const TOKEN = "123456:TEST-TOKEN-abcdefghijklmnopqrstu";
const rc1Group: FakeChat = { id: -100_301, type: "group", title: "第一路管会工作群" };
const d4Group: FakeChat = { id: -100_304, type: "group", title: "第四片区工作群" };
const clerk: FakeUser = { id: 7101, first_name: "周", language_code: "zh-hans" };
const resident: FakeUser = { id: 5201, first_name: "陈", language_code: "zh-hans" };
const toResident = (message: FakeMessage) => message.chat.id === resident.id;

function button(message: FakeMessage, label: string): string {
  const found = message.reply_markup?.inline_keyboard?.flat().find((b) => b.text.includes(label));
  if (!found?.callback_data) throw new Error(`no button "${label}" on "${message.text}"`);
  return found.callback_data;
}

async function eventually<T>(read: () => T | Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("a case handled in the web console, end to end with Telegram faked", () => {
  let fake: FakeTelegram;
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    fake.addChat(rc1Group);
    fake.addChat(d4Group);
    app = await startTestApp({
      env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.url },
      editTown: (sample) =>
        sample.replace(
          "alertDestinations: []",
          [
            "alertDestinations:",
            `  - code: rc1-group\n    name: 第一路管会工作群\n    telegramChatId: "${rc1Group.id}"\n    roadCommittees: [rc1]`,
            `  - code: d4-group\n    name: 第四片区工作群\n    telegramChatId: "${d4Group.id}"\n    districts: [d4]`,
          ].join("\n"),
        ),
    });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await fake.close();
  });

  /** The resident files a report in their private chat, answering whatever the bot asks next; returns its reference. */
  async function residentReports(text: string): Promise<string> {
    await fake.userSends(resident, text);
    for (let step = 0; step < 12; step++) {
      const message = await fake.nextBotMessage(toResident, 8_000);
      const said = message.text ?? "";
      const done = /已提交，编号 (\S+?)。/.exec(said);
      if (done) return done[1]!;
      if (said.startsWith("看起来是")) await fake.userPresses(message, button(message, zh.report.yes));
      else if (said === zh.report.askPhotos) await fake.userPresses(message, button(message, zh.report.photosSkip));
      else if (said === zh.report.askDescription) await fake.userSends(resident, text);
      else if (said === zh.report.askShop) await fake.userPresses(message, button(message, zh.report.noShop));
      else if (said === zh.report.askContact) await fake.userPresses(message, button(message, zh.report.contactYes));
      else if (said.startsWith(zh.report.summaryTitle)) await fake.userPresses(message, button(message, "确认提交"));
    }
    throw new Error("the report was not filed");
  }

  it("a clerk signs in with /web, finds the case on the desk, claims and resolves it, and passes another to a district: chat and groups hear of each", async () => {
    const invite = await createStaffRegistry({
      prisma: app.db.prisma,
      sql: app.db.sql,
      townCode: "wujing",
      webSessions: databaseWebSessions(app.db.sql),
    }).invite("bootstrap", { role: "DISTRICT_STAFF", label: "第一路管会值班", districtCodes: [], roadCommitteeCodes: ["rc1"] });
    if (invite.type !== "created") throw new Error(invite.type);
    await fake.userSends(clerk, `/start staff-${invite.code}`);
    await fake.nextBotMessage((m) => m.chat.id === clerk.id && (m.text ?? "").includes("登记成功"));

    const reference = await residentReports("永德路12号门口又在占道摆摊，行人过不去");
    const alert = await fake.nextBotMessage((m) => m.chat.id === rc1Group.id && (m.text ?? "").includes(reference), 10_000);

    await fake.userSends(clerk, "/web");
    const linkMessage = await fake.nextBotMessage((m) => m.chat.id === clerk.id && /console\/sign-in\?token=/.test(JSON.stringify(m)));
    const link = /https?:\/\/[^"\s]+\/console\/sign-in\?token=[A-Za-z0-9_-]+/.exec(JSON.stringify(linkMessage))![0];

    const { page, context, violations } = await openWatchedPage(browser, { viewport: VIEWPORTS.phone });
    await page.goto(link);
    // The link leads to the case desk; the clerk finds the new case by its reference and opens it from the list.
    expect(new URL(page.url()).pathname).toBe("/console/cases");
    await page.getByLabel("编号或路名").fill(reference);
    await page.getByRole("button", { name: "筛选" }).click();
    await page.getByRole("link", { name: reference }).click();
    expect(new URL(page.url()).pathname).toBe("/console/case");
    await expect(page.locator("h1").textContent()).resolves.toContain(reference);
    await expect(page.locator(".description").textContent()).resolves.toContain("占道摆摊");
    await saveScreenshot(page, "console-case-phone");
    await page.setViewportSize(VIEWPORTS.desktop);
    await saveScreenshot(page, "console-case-desktop");

    await page.getByRole("button", { name: zh.alerts.actions.claim }).click();
    await page.waitForURL(/done=claim/);
    await expect(page.locator(".notice").first().textContent()).resolves.toContain("已认领");
    const claimed = await eventually(
      () => fake.currentMessage(rc1Group.id, alert.message_id),
      (message) => (message?.text ?? "").includes("当前状态：已受理（第一路管会值班）"),
    );
    expect(claimed?.text).toContain("当前状态：已受理（第一路管会值班）");

    await page.getByLabel(/处理结果/).fill("已劝离摊主，人行道恢复通行");
    await page.getByLabel(/处理后照片/).setInputFiles({ name: "after.png", mimeType: "image/png", buffer: TINY_PNG(11) });
    await page.getByRole("button", { name: zh.alerts.actions.resolve }).click();
    await page.waitForURL(/done=resolve/);
    await expect(page.locator(".status").first().textContent()).resolves.toBe("已解决");
    await saveScreenshot(page, "console-case-resolved-desktop");
    const resolved = await eventually(
      () => fake.currentMessage(rc1Group.id, alert.message_id),
      (message) => (message?.text ?? "").includes("当前状态：已解决（第一路管会值班）"),
    );
    expect(resolved?.text).toContain("当前状态：已解决（第一路管会值班）");
    const told = await fake.nextBotMessage((m) => toResident(m) && JSON.stringify(m).includes("已劝离摊主"), 10_000);
    expect(JSON.stringify(told)).toContain(reference);

    // A second case: the page learns of a claim made in the group chat, then passes the case to a district.
    const grid = await GridDirectory.open(app.db.prisma, "wujing", LABELLED_MESSAGES);
    const second = await createReportsService({
      prisma: app.db.prisma,
      sql: app.db.sql,
      grid,
      townCode: "wujing",
      timeZone: TOWN_TIME_ZONE,
    }).submit(
      {
        categoryCode: "pavement-trading",
        place: { roadCode: "yongde", houseNumber: 30 },
        description: "小区门口的共享单车堆满人行道",
        photoIds: [],
        contactAllowed: false,
      },
      { channel: "telegram", userId: "9101", chatId: "9101", locale: "zh" },
      declining([reference]),
    );
    if (second.type !== "created") throw new Error(second.type);
    const secondAlert = await fake.nextBotMessage((m) => m.chat.id === rc1Group.id && (m.text ?? "").includes(second.reference), 10_000);
    await page.setViewportSize(VIEWPORTS.phone);
    await page.goto(`${app.httpUrl}/console/case?ref=${second.reference}`);
    await page.waitForTimeout(2_500);
    await fake.userPresses(secondAlert, button(secondAlert, zh.alerts.actions.claim), clerk);
    await page.locator("#case-changed").waitFor({ state: "visible", timeout: 10_000 });
    await saveScreenshot(page, "console-case-changed-phone");
    await page.locator("#case-changed a").click();
    await page.getByLabel("转交给").selectOption("district:d4");
    await page.getByLabel(/转交原因/).fill("属于第四片区的小区内部道路");
    await page.getByRole("button", { name: "转交", exact: true }).click();
    await page.waitForURL(/done=reassign|\/console\/case/);
    const moved = await fake.nextBotMessage((m) => m.chat.id === d4Group.id && (m.text ?? "").includes(second.reference), 10_000);
    expect(moved.text).toContain(second.reference);
    expect(violations).toEqual([]);
    await context.close();
  }, 120_000);
});
