import { testLogger } from "../../../support/logs.ts";
import { createWebInbox } from "../../../../src/bot/channels/web/inbox.ts";
import { createMemoryStore } from "../../../../src/bot/sessions/memory-store.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page, Route } from "playwright-core";
import { launchChromium, openWatchedPage, saveScreenshot } from "../../../support/browser.ts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createWebChannel } from "../../../../src/bot/channels/web/channel.ts";
import { startHttpServer, type RunningHttpServer } from "../../../../src/bot/http/server.ts";
import type { UpdateHandler } from "../../../../src/bot/update-handler.ts";
import { loadConfig } from "../../../../src/config.ts";
import { commandsFor, declaredCommands } from "../../../../src/flows/kit/commands.ts";
import type { InboundEvent, OutboundMessage } from "../../../../src/flows/kit/messages.ts";
import { FLOWS } from "../../../../src/flows/registry.ts";
import { startLinli } from "../../../../src/app.ts";
import { readTownFile } from "../../../../src/towndata/town-file.ts";
import { TINY_PNG, TINY_TEXT_FILE } from "../../../support/town.ts";
import { openMediaFixture, type MediaFixture } from "../../../support/media-fixture.ts";
import { TEST_PAGE_TOWN } from "../../../support/web-server.ts";

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** Opens the chat page in a fresh profile and collects any policy violation the page reports. */
async function openChat(
  url: string,
  options: { locale: string; geolocation?: "granted" | "denied"; beforeOpening?: (context: BrowserContext, page: Page) => Promise<void> },
): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const { context, page, violations } = await openWatchedPage(browser, {
    locale: options.locale,
    viewport: { width: 420, height: 860 },
    contextOptions:
      options.geolocation === "granted" ? { permissions: ["geolocation"], geolocation: { latitude: 31.02, longitude: 121.47 } } : {},
  });
  await options.beforeOpening?.(context, page);
  await page.goto(url);
  return { context, page, violations };
}

const botMessages = (page: Page) => page.locator("#log .msg.bot");

describe("the web chat page against the real Linli", () => {
  let app: { httpUrl: string; stop(): Promise<void> };
  let dataDir: string;
  let expected: { district: string; committee: string; residents: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "linli-webchat-"));
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    app = await startLinli({ ...config, http: { ...config.http, host: "127.0.0.1", port: 0 } }, { logger: testLogger() });

    const { data } = await readTownFile(config.town.dataFile);
    const neighbourhood = data.neighbourhoods.find((n) => n.name === "紫竹半岛居民区");
    const district = data.districts.find((d) => d.code === neighbourhood?.district);
    if (!neighbourhood || !district) throw new Error("the sample town file no longer has 紫竹半岛居民区 and its district");
    expected = { district: district.name, committee: district.committeeName, residents: neighbourhood.committeeName };
  });
  afterAll(async () => {
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("a resident asks who runs 紫竹半岛, gets the district and its committee, and can press a choice", async () => {
    const { context, page, violations } = await openChat(app.httpUrl, { locale: "zh-CN" });
    try {
      // The page sends /start by itself; the main menu arrives as the first bot message.
      await botMessages(page).first().waitFor();
      expect(await page.locator("html").getAttribute("lang")).toBe("zh-CN");

      await page.getByRole("textbox", { name: "输入消息" }).fill("紫竹半岛归哪个片区管？");
      await page.getByRole("button", { name: "发送" }).click();
      const answer = botMessages(page).filter({ hasText: expected.committee });
      await answer.waitFor();
      const text = await answer.textContent();
      expect(text).toContain(expected.district);
      expect(text).toContain(expected.committee);
      expect(text).toContain(expected.residents);
      await expect(page.locator("#log .msg.user").last().textContent()).resolves.toBe("你说：紫竹半岛归哪个片区管？");

      // A fixed index, because the replies to the press may bring new button groups.
      const groups = page.locator("#log .msg.bot .actions");
      const choices = groups.nth((await groups.count()) - 1).getByRole("button");
      if ((await choices.count()) > 0) {
        const before = await botMessages(page).count();
        const pressed = choices.first();
        const label = (await pressed.textContent()) ?? "";
        await pressed.click();
        await page.waitForFunction((count) => document.querySelectorAll("#log .msg.bot").length > count, before);
        expect(await pressed.getAttribute("aria-pressed")).toBe("true");
        expect(await pressed.isDisabled()).toBe(true);
        await expect(page.locator("#log .msg.user").last().textContent()).resolves.toBe(`你说：${label}`);
      }

      await saveScreenshot(page, "web-chat-district-answer");

      const before = await botMessages(page).count();
      await page.getByRole("textbox", { name: "输入消息" }).fill("<b>x</b>");
      await page.getByRole("textbox", { name: "输入消息" }).press("Enter");
      await page.waitForFunction((count) => document.querySelectorAll("#log .msg.bot").length > count, before);
      await expect(page.locator("#log .msg.user").last().textContent()).resolves.toBe("你说：<b>x</b>");
      expect(await page.locator("#log b").count()).toBe(0);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("a message whose request hangs is sent again, with the same message id, once its deadline passes, and the resident reads the answer", async () => {
    const bodies: string[] = [];
    let held: Route | undefined;
    const { context, page, violations } = await openChat(app.httpUrl, {
      locale: "zh-CN",
      beforeOpening: async (context, page) => {
        await page.clock.install();
        await context.route("**/api/chat", async (route) => {
          const body = route.request().postData() ?? "";
          if (!body.includes("紫竹半岛")) return route.continue();
          bodies.push(body);
          // The first try never gets an answer, as when the server process holding it died.
          if (bodies.length === 1) held = route;
          else await route.continue();
        });
      },
    });
    try {
      await botMessages(page).first().waitFor();
      await page.getByRole("textbox", { name: "输入消息" }).fill("紫竹半岛归哪个片区管？");
      await page.getByRole("button", { name: "发送" }).click();
      await expect.poll(() => bodies.length).toBe(1);
      await page.clock.runFor(19_000);
      expect(bodies).toHaveLength(1);
      await page.clock.runFor(3_000);
      await botMessages(page).filter({ hasText: expected.committee }).waitFor();
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toBe(bodies[0]);
      expect(await page.locator("#log .msg.system").allTextContents()).toEqual([]);
      expect(violations).toEqual([]);
    } finally {
      await held?.abort().catch(() => undefined);
      await context.close();
    }
  });

  it("when a message's answer is lost after the server handled it, the retry is not handled twice and the resident is told to ask again", async () => {
    const bodies: string[] = [];
    const { context, page } = await openChat(app.httpUrl, {
      locale: "zh-CN",
      beforeOpening: async (context) => {
        await context.route("**/api/chat", async (route) => {
          const body = route.request().postData() ?? "";
          if (!body.includes("紫竹半岛")) return route.continue();
          bodies.push(body);
          if (bodies.length > 1) return route.continue();
          // The server answers; the connection drops before the answer reaches the page.
          await route.fetch();
          await route.abort("connectionreset");
        });
      },
    });
    try {
      await botMessages(page).first().waitFor();
      const before = await botMessages(page).count();
      await page.getByRole("textbox", { name: "输入消息" }).fill("紫竹半岛归哪个片区管？");
      await page.getByRole("button", { name: "发送" }).click();
      await page.locator("#log .msg.system").filter({ hasText: "回复没能显示出来" }).waitFor();
      expect(bodies).toHaveLength(2);
      expect(bodies[1]).toBe(bodies[0]);
      expect(await botMessages(page).count()).toBe(before);
    } finally {
      await context.close();
    }
  });

  it("the page collects report updates with its client id in a header, never in the address", async () => {
    const polls: { url: string; clientId: string | undefined; status: number }[] = [];
    const { context, page } = await openChat(app.httpUrl, { locale: "zh-CN" });
    try {
      page.on("response", (response) => {
        const request = response.request();
        if (request.url().includes("/api/updates"))
          polls.push({ url: request.url(), clientId: request.headers()["x-client-id"], status: response.status() });
      });
      await botMessages(page).first().waitFor();
      // The page polls when it becomes visible again, as after switching back to its tab.
      await page.evaluate(() => document.dispatchEvent(new Event("visibilitychange")));
      await expect.poll(() => polls.length).toBeGreaterThan(0);
      const clientId = await page.evaluate(() => window.localStorage.getItem("linli.clientId"));
      expect(polls[0]).toEqual({ url: `${app.httpUrl}/api/updates`, clientId, status: 200 });
    } finally {
      await context.close();
    }
  });

  it("a shop's QR link opens the chat on its invitation, and the code leaves the address bar so a reload does not send it again", async () => {
    const { context, page, violations } = await openChat(`${app.httpUrl}/?start=merchant-ZZZZZZZZZZ`, { locale: "zh-CN" });
    try {
      await botMessages(page).filter({ hasText: "邀请码不正确" }).waitFor();
      expect(new URL(page.url()).search).toBe("");
      // Like the plain /start, the opening command is sent without a bubble of its own.
      expect(await page.locator("#log .msg.user").count()).toBe(0);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

const ONE_PIXEL_GIF = "R0lGODlhAQABAIAAAAxuVf///ywAAAAAAQABAAACAkQBADs=";

/** Answers with one reply of every kind, so the page's rendering is exercised without a flow. */
class ShowcaseHandler implements UpdateHandler {
  readonly events: InboundEvent[] = [];
  /** The media id of the one-pixel GIF, stored before the page opens. */
  photoId = "";
  async handle(event: InboundEvent): Promise<OutboundMessage[]> {
    this.events.push(event);
    const { payload } = event;
    if (payload.type === "command" && payload.command === "start") {
      return [
        { type: "text", text: "欢迎 <img src=x onerror=alert(1)>" },
        { type: "locationRequest", text: "请共享位置", buttonLabel: "📍 共享我的位置" },
        { type: "photo", mediaId: this.photoId, caption: "示意图 <i>caption</i>" },
        { type: "link", text: "详情见镇政府网站", url: "https://example.org/wujing", label: "吴泾镇" },
        { type: "link", text: "不安全的链接", url: "javascript:alert(1)", label: "点我" },
      ];
    }
    if (payload.type === "command" && payload.command === "lang") return [{ type: "text", text: `language ${payload.args}` }];
    if (payload.type === "location") return [{ type: "text", text: `位置 ${payload.latitude},${payload.longitude}` }];
    if (payload.type === "photo") return [{ type: "text", text: "收到照片" }];
    return [{ type: "text", text: "好的" }];
  }
}

describe("the web chat page with a scripted handler", () => {
  let server: RunningHttpServer;
  let handler: ShowcaseHandler;
  let media: MediaFixture;
  beforeAll(async () => {
    const logger = testLogger();
    handler = new ShowcaseHandler();
    media = await openMediaFixture({ maxBytes: 64 * 1024 });
    const stored = await media.store.put(Buffer.from(ONE_PIXEL_GIF, "base64"));
    if (!stored.ok) throw new Error(`the sample GIF was refused: ${stored.reason}`);
    handler.photoId = stored.mediaId;
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      routes: createWebChannel({
        handler,
        media: media.store,
        inbox: createWebInbox(createMemoryStore()),
        menu: commandsFor(declaredCommands(FLOWS)),
        logger,
        town: () => TEST_PAGE_TOWN,
      }).routes,
      logger,
    });
  });
  afterAll(async () => {
    await server?.close();
    await media?.close();
  });
  afterEach(() => {
    handler.events.length = 0;
  });

  it("renders every reply type safely and sends a shared location", async () => {
    const { context, page, violations } = await openChat(server.url, { locale: "zh-CN", geolocation: "granted" });
    try {
      await botMessages(page).nth(4).waitFor();
      const start = handler.events[0];
      expect(start?.payload).toEqual({ type: "command", command: "start", args: "" });
      expect(start?.userId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
      expect(start?.messageId.startsWith(`web:${start.userId}:`)).toBe(true);

      await expect(botMessages(page).first().textContent()).resolves.toContain("欢迎 <img src=x onerror=alert(1)>");
      expect(await page.locator("#log img").count()).toBe(1);
      await page.waitForFunction(() => (document.querySelector("#log img") as HTMLImageElement | null)?.complete === true);
      expect(await page.locator("#log img").evaluate((image: HTMLImageElement) => image.naturalWidth)).toBe(1);
      expect(await page.locator("#log img").getAttribute("alt")).toBe("示意图 <i>caption</i>");
      expect(await page.locator("#log img").getAttribute("src")).toBe(`api/media/${handler.photoId}`);
      expect(await page.locator("#log i").count()).toBe(0);
      expect(await page.getByRole("link", { name: /吴泾镇/ }).getAttribute("href")).toBe("https://example.org/wujing");
      expect(await page.getByRole("link", { name: /吴泾镇/ }).getAttribute("rel")).toBe("noopener noreferrer");
      expect(await page.locator('#log a[href^="javascript"]').count()).toBe(0);

      await page.getByRole("button", { name: "📍 共享我的位置" }).click();
      await botMessages(page).filter({ hasText: "位置 31.02,121.47" }).waitFor();
      expect(handler.events.at(-1)?.payload).toEqual({ type: "location", latitude: 31.02, longitude: 121.47 });

      // The client id survives a reload, so the conversation stays the same person's.
      await page.reload();
      await botMessages(page).nth(4).waitFor();
      expect(handler.events.at(-1)?.userId).toBe(start?.userId);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("uploads a picked photo, shows its thumbnail and sends it; a non-image and a too-big photo are refused in words", async () => {
    const { context, page, violations } = await openChat(server.url, { locale: "zh-CN" });
    try {
      await botMessages(page).nth(4).waitFor();
      const photo = TINY_PNG(31);
      await page.locator("#photo-input").setInputFiles({ name: "street.png", mimeType: "image/png", buffer: photo });
      await botMessages(page).filter({ hasText: "收到照片" }).waitFor();
      const sent = handler.events.at(-1)?.payload;
      if (sent?.type !== "photo") throw new Error(`expected a photo event, got ${JSON.stringify(sent)}`);
      expect(await media.store.read(sent.fileId)).toEqual({ bytes: photo, mimeType: "image/png" });
      const thumbnail = page.locator("#log .msg.user img.thumb");
      await page.waitForFunction(() => (document.querySelector("#log .msg.user img.thumb") as HTMLImageElement | null)?.naturalWidth === 1);
      expect(await thumbnail.getAttribute("alt")).toBe("你发送的照片");
      expect(await page.getByRole("button", { name: "添加照片" }).isVisible()).toBe(true);

      const events = handler.events.length;
      await page.locator("#photo-input").setInputFiles({ name: "notes.jpg", mimeType: "image/jpeg", buffer: TINY_TEXT_FILE });
      await page.locator("#log .msg.system", { hasText: "只能上传 JPEG、PNG、WebP 或 GIF 格式的照片" }).waitFor();
      expect(await page.locator("#log .msg.user img").count()).toBe(1);
      await page
        .locator("#photo-input")
        .setInputFiles({ name: "huge.png", mimeType: "image/png", buffer: Buffer.concat([photo, Buffer.alloc(64 * 1024)]) });
      await page.locator("#log .msg.system", { hasText: "照片太大了，最大 0.1 MB" }).waitFor();
      expect(handler.events).toHaveLength(events);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("says politely that the location was not shared when permission is denied", async () => {
    const { context, page } = await openChat(server.url, { locale: "zh-CN" });
    try {
      await botMessages(page).nth(4).waitFor();
      await page.getByRole("button", { name: "📍 共享我的位置" }).click();
      await page.locator("#log .msg.system", { hasText: "没有获得位置权限" }).waitFor();
      expect(handler.events.some((event) => event.payload.type === "location")).toBe(false);
      expect(await page.getByRole("button", { name: "📍 共享我的位置" }).isEnabled()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it("follows an English browser, and the language toggle switches the page and sends /lang", async () => {
    const { context, page } = await openChat(server.url, { locale: "en-GB" });
    try {
      await botMessages(page).first().waitFor();
      expect(await page.locator("html").getAttribute("lang")).toBe("en");
      expect(handler.events[0]?.localeHint).toBe("en");
      expect(await page.getByRole("button", { name: "Send" }).isVisible()).toBe(true);

      await page.locator("#lang").click();
      await botMessages(page).filter({ hasText: "language zh" }).waitFor();
      expect(handler.events.at(-1)?.payload).toEqual({ type: "command", command: "lang", args: "zh" });
      expect(handler.events.at(-1)?.localeHint).toBe("zh");
      expect(await page.locator("html").getAttribute("lang")).toBe("zh-CN");
      expect(await page.getByRole("button", { name: "发送" }).isVisible()).toBe(true);
      expect(await page.getByRole("textbox", { name: "输入消息" }).getAttribute("maxlength")).toBe("4000");
    } finally {
      await context.close();
    }
  });

  it("lists every command of the menu in the help panel, /report and /myreports among them, and sends one when pressed, all from the keyboard", async () => {
    const { context, page } = await openChat(server.url, { locale: "zh-CN" });
    try {
      await botMessages(page).nth(4).waitFor();
      await page.getByRole("button", { name: "帮助" }).focus();
      await page.keyboard.press("Enter");
      const help = page.getByRole("button", { name: "/help" });
      await help.waitFor();
      expect(await page.getByRole("button", { name: "帮助" }).getAttribute("aria-expanded")).toBe("true");
      const menu = commandsFor(declaredCommands(FLOWS));
      expect(await page.locator("#commands li").allTextContents()).toEqual(menu.map((entry) => `/${entry.name}${entry.description.zh}`));
      expect(menu.map((entry) => entry.name)).toEqual(expect.arrayContaining(["report", "myreports"]));
      await help.focus();
      await page.keyboard.press("Enter");
      await page.waitForFunction(() => document.querySelectorAll("#log .msg.bot").length > 5);
      expect(handler.events.at(-1)?.payload).toEqual({ type: "command", command: "help", args: "" });
    } finally {
      await context.close();
    }
  });
});
