import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/** Headless Chromium from Debian, with nothing reaching out to the network on its own. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** Where browser tests keep their screenshots; CI keeps the folder as the run's artifacts. */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, "../../test-artifacts/screenshots");

/** Phone and desktop widths every web page is looked at in. */
export const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 900 } } as const;

/** Starts the machine's Chromium (the Debian package) for a test file; close it in `afterAll`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** A page in a fresh profile and what it complained about: policy refusals and uncaught script errors. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Content-Security-Policy refusals and script errors, in order; a healthy page leaves this empty. */
  violations: string[];
}

/** Opens a page in a fresh browser context and records any policy violation or script error it reports. */
export async function openWatchedPage(
  browser: Browser,
  options: { locale?: string; viewport?: { width: number; height: number }; contextOptions?: Parameters<Browser["newContext"]>[0] } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    locale: options.locale ?? "zh-CN",
    viewport: options.viewport ?? VIEWPORTS.desktop,
    ...options.contextOptions,
  });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  page.on("pageerror", (error) => violations.push(error.message));
  return { context, page, violations };
}

/** Saves a full-page screenshot as `test-artifacts/screenshots/<name>.png` and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
