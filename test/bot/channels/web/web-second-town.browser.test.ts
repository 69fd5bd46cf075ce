import { testLogger } from "../../../support/logs.ts";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium, openWatchedPage } from "../../../support/browser.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLinli } from "../../../../src/app.ts";
import { loadConfig } from "../../../../src/config.ts";
import { sampleTownWords, SECOND_TOWN_FILE } from "../../../support/town.ts";

describe("the web chat page of a town other than the sample town", () => {
  let app: { httpUrl: string; stop(): Promise<void> };
  let dataDir: string;
  let browser: Browser;
  let firstTownWords: string[];

  beforeAll(async () => {
    firstTownWords = await sampleTownWords();
    dataDir = await mkdtemp(path.join(tmpdir(), "linli-second-town-"));
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: "silent", TOWN_CODE: "qinghe", TOWN_DATA_FILE: SECOND_TOWN_FILE });
    app = await startLinli({ ...config, http: { ...config.http, host: "127.0.0.1", port: 0 } }, { logger: testLogger() });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("is served with this town's name and neighbourhood and none of the sample town's words", async () => {
    const html = await (await fetch(`${app.httpUrl}/`)).text();
    expect(html).toContain('<meta name="linli-town-zh" content="青禾镇">');
    expect(html).toContain('<meta name="linli-town-en" content="Qinghe Town">');
    expect(html).toContain('<meta name="linli-neighbourhood-zh" content="稻花苑">');
    expect(firstTownWords.filter((word) => html.includes(word))).toEqual([]);
  });

  it.each([
    { locale: "zh-CN", subtitle: "青禾镇社区助手", placeholder: "例如：稻花苑归哪个片区管？" },
    { locale: "en-GB", subtitle: "Qinghe Town community assistant", placeholder: "e.g. Which district is Daohua Garden Neighbourhood in?" },
  ])(
    "shows a $locale reader this town's name in its header and input hint, under the strict policy",
    async ({ locale, subtitle, placeholder }) => {
      const { context, page, violations } = await openWatchedPage(browser, { locale });
      try {
        await page.goto(`${app.httpUrl}/`);
        await expect(page.locator(".subtitle").textContent()).resolves.toBe(subtitle);
        await expect(page.locator("#input").getAttribute("placeholder")).resolves.toBe(placeholder);
        const shown = `${await page.locator("body").innerText()}\n${placeholder}`;
        expect(firstTownWords.filter((word) => shown.includes(word))).toEqual([]);
        expect(violations).toEqual([]);
      } finally {
        await context.close();
      }
    },
  );
});
