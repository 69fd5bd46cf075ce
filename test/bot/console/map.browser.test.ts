import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import gcoordModule from "gcoord";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openWatchedPage, saveScreenshot, VIEWPORTS, type WatchedPage } from "../../support/browser.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { DISTRICT_POINTS, seedCases, servicesOf, signedInStaff } from "../../support/grid-map.ts";
import { TINY_PNG } from "../../support/town.ts";

// gcoord's types describe the object under `default`; loaded as CommonJS it is the module itself.
const gcoord = ("default" in gcoordModule ? gcoordModule.default : gcoordModule) as typeof gcoordModule.default;
type LngLat = [number, number];
const toGcj = (point: LngLat) => gcoord.transform(point, gcoord.WGS84, gcoord.GCJ02) as LngLat;
const toWgs = (point: LngLat) => gcoord.transform(point, gcoord.GCJ02, gcoord.WGS84) as LngLat;

/**
 * Where the map draws a point: the districts' outlines span the town's converted extent (the sample town's
 * boundaries run from 121.41 to 121.50 east and 31.00 to 31.07 north), so the union of their boxes maps page
 * pixels to GCJ-02 coordinates (Web Mercator is linear in x and in ln(tan(π/4 + φ/2)) in y), both ways.
 */
async function townFrame(page: Page) {
  const boxes = await page.locator("path.district-area").evaluateAll((paths) => paths.map((path) => path.getBoundingClientRect().toJSON()));
  const left = Math.min(...boxes.map((box) => box.left));
  const right = Math.max(...boxes.map((box) => box.right));
  const top = Math.min(...boxes.map((box) => box.top));
  const bottom = Math.max(...boxes.map((box) => box.bottom));
  const y = (lat: number) => Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
  const latOf = (value: number) => ((2 * Math.atan(Math.exp(value)) - Math.PI / 2) * 180) / Math.PI;
  const [west, south] = toGcj([121.41, 31.0]);
  const [east, north] = toGcj([121.5, 31.07]);
  return {
    pixelOf: ([lng, lat]: LngLat) => ({
      x: left + ((lng - west) / (east - west)) * (right - left),
      y: top + ((y(north) - y(lat)) / (y(north) - y(south))) * (bottom - top),
    }),
    pointAt: (x: number, yPixel: number): LngLat => [
      west + ((x - left) / (right - left)) * (east - west),
      latOf(y(north) - ((yPixel - top) / (bottom - top)) * (y(north) - y(south))),
    ],
  };
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** A page signed in with `cookie` (when given) whose every request's origin is recorded. */
async function openPage(app: TestApp, viewport: { width: number; height: number }, cookie?: string) {
  const watched = await openWatchedPage(browser, { viewport });
  if (cookie) {
    const [name, value] = cookie.split("=") as [string, string];
    await watched.context.addCookies([{ name, value, url: app.httpUrl }]);
  }
  const origins = new Set<string>();
  watched.page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.protocol !== "data:") origins.add(url.origin);
  });
  return { ...watched, origins };
}

/** How many cases the map shows: single pins plus the counts on cluster icons. */
async function shownCases(page: Page): Promise<number> {
  const pins = await page.locator(".case-pin").count();
  const clustered = await page.locator(".marker-cluster span").allTextContents();
  return pins + clustered.reduce((sum, text) => sum + Number(text), 0);
}

async function done(watched: WatchedPage) {
  expect(watched.violations).toEqual([]);
  await watched.context.close();
}

describe("the grid map in Chromium without a base map", () => {
  let app: TestApp;
  let references: string[];
  let adminCookie: string;
  let bounded: number;

  beforeAll(async () => {
    app = await startTestApp({ env: {} });
    const services = await servicesOf(app);
    references = await seedCases(services, [
      { district: "d1", ...DISTRICT_POINTS.d1 },
      { district: "d2", ...DISTRICT_POINTS.d2 },
      { district: "d2", latitude: DISTRICT_POINTS.d2.latitude + 0.0004, longitude: DISTRICT_POINTS.d2.longitude + 0.0004 },
      { district: "d3", ...DISTRICT_POINTS.d3 },
      { district: "d4", ...DISTRICT_POINTS.d4 },
    ]);
    bounded = services.grid.index.snapshot.districts.filter((district) => district.boundary).length;
    adminCookie = await signedInStaff(app, services, "browser-admin", { role: "ADMIN", districtCodes: [], roadCommitteeCodes: [] });
  }, 120_000);
  afterAll(async () => {
    await app.stop();
  });

  it("draws one area per bounded district and every positioned case, asking nothing of any other origin", async () => {
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      const watched = await openPage(app, viewport, adminCookie);
      const { page } = watched;
      await page.goto(`${app.httpUrl}/console/map`);
      await expect.poll(() => shownCases(page)).toBe(5);
      expect(await page.locator("path.district-area").count()).toBe(bounded);
      // Two cases 50 m apart share a cluster at the town's zoom.
      expect(await page.locator(".marker-cluster span").allTextContents()).toEqual(["2"]);
      await saveScreenshot(page, `console-map-${name}`);
      expect([...watched.origins]).toEqual([app.httpUrl]);
      await done(watched);
    }
  });

  it("opens the pin of ?ref= with its reference, status and a link to the case, and filters pins by status", async () => {
    const watched = await openPage(app, VIEWPORTS.desktop, adminCookie);
    const { page } = watched;
    await page.goto(`${app.httpUrl}/console/map?ref=${references[2]}`);
    const popup = page.locator(".leaflet-popup-content");
    await expect.poll(() => popup.textContent()).toContain(references[2]);
    expect(await popup.locator(".status-SUBMITTED").textContent()).toBe("已提交");
    expect(await popup.locator("a").getAttribute("href")).toBe(`case?ref=${references[2]}`);
    await saveScreenshot(page, "console-map-focused-case");

    // Zoomed in on the case, the map draws the pins in view only.
    const inView = await shownCases(page);
    expect(inView).toBeGreaterThan(0);
    await page.getByRole("checkbox", { name: "已提交" }).uncheck();
    await expect.poll(() => shownCases(page)).toBe(0);
    await page.getByRole("checkbox", { name: "已提交" }).check();
    await expect.poll(() => shownCases(page)).toBe(inView);

    // From the keyboard, as from the mouse, a district's link brings it into view on the map.
    await page.locator('a[data-district="d1"]').focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => popup.textContent()).toContain("第一片区治理委员会");
    await done(watched);
  });

  it("the public map answers a search and a click on the map, with a tel: link", async () => {
    for (const [name, viewport] of Object.entries(VIEWPORTS)) {
      const watched = await openPage(app, viewport);
      const { page } = watched;
      await page.goto(`${app.httpUrl}/map`);
      const answer = page.locator("#map-answer");
      const area = await page.locator("path.district-d4").boundingBox();
      if (!area) throw new Error("district d4 is not drawn");
      await page.mouse.click(area.x + area.width / 2, area.y + area.height / 2);
      await expect.poll(() => answer.textContent()).toContain("您发送的位置属于【第四片区】");

      await page.getByLabel("小区、居民区或道路名称").fill("鹤庆路30号");
      await page.getByRole("button", { name: "查询" }).click();
      await expect.poll(() => answer.textContent()).toContain("鹤庆路30号 属于【第二片区】");
      expect(await answer.locator('a[href^="tel:"]').count()).toBeGreaterThan(0);
      await saveScreenshot(page, `public-map-${name}`);
      expect([...watched.origins]).toEqual([app.httpUrl]);
      await done(watched);
    }
  });
});

describe("the grid map in Chromium on GCJ-02 base-map tiles", () => {
  let app: TestApp;
  let tiles: Server;
  let tileRequests = 0;
  let references: string[];
  let adminCookie: string;

  beforeAll(async () => {
    const png = TINY_PNG(7);
    tiles = createServer((request, response) => {
      tileRequests++;
      response.writeHead(200, { "Content-Type": "image/png" }).end(png);
    });
    await new Promise<void>((resolve) => tiles.listen(0, "127.0.0.1", resolve));
    const port = (tiles.address() as AddressInfo).port;
    app = await startTestApp({
      env: {
        MAP_TILE_URL: `http://127.0.0.1:${port}/tiles/{z}/{x}/{y}.png`,
        MAP_TILE_ATTRIBUTION: "Test tiles <b>©</b>",
        MAP_TILE_COORDINATES: "gcj02",
      },
    });
    const services = await servicesOf(app);
    references = await seedCases(services, [{ district: "d2", ...DISTRICT_POINTS.d2 }]);
    adminCookie = await signedInStaff(app, services, "tiles-admin", { role: "ADMIN", districtCodes: [], roadCommitteeCodes: [] });
  }, 120_000);
  afterAll(async () => {
    await app.stop();
    await new Promise((resolve) => tiles.close(resolve));
  });

  it("requests the tiles, admits their origin and draws a pin where gcoord puts the case on GCJ-02 tiles", async () => {
    const watched = await openPage(app, VIEWPORTS.desktop, adminCookie);
    const { page } = watched;
    const response = await page.goto(`${app.httpUrl}/console/map?ref=${references[0]}`);
    const tileOrigin = `http://127.0.0.1:${(tiles.address() as AddressInfo).port}`;
    expect(response?.headers()["content-security-policy"]).toContain(`img-src 'self' data: ${tileOrigin};`);
    await expect.poll(() => shownCases(page)).toBe(1);
    expect(tileRequests).toBeGreaterThan(0);
    expect([...watched.origins].sort()).toEqual([app.httpUrl, tileOrigin].sort());
    expect(await page.locator(".leaflet-control-attribution").textContent()).toContain("Test tiles <b>©</b>");

    const frame = await townFrame(page);
    const pin = await page.locator(".case-pin").boundingBox();
    if (!pin) throw new Error("no pin drawn");
    const drawn = { x: pin.x + pin.width / 2, y: pin.y + pin.height / 2 };
    const converted = frame.pixelOf(toGcj([DISTRICT_POINTS.d2.longitude, DISTRICT_POINTS.d2.latitude]));
    const unconverted = frame.pixelOf([DISTRICT_POINTS.d2.longitude, DISTRICT_POINTS.d2.latitude]);
    expect(Math.hypot(drawn.x - converted.x, drawn.y - converted.y)).toBeLessThan(3);
    expect(Math.hypot(drawn.x - unconverted.x, drawn.y - unconverted.y)).toBeGreaterThan(15);
    await saveScreenshot(page, "console-map-gcj02-tiles");
    await done(watched);
  });

  it("a click on GCJ-02 tiles is converted back to WGS-84 before the public map asks which district it is in", async () => {
    const watched = await openPage(app, VIEWPORTS.desktop);
    const { page } = watched;
    const asked: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/map/at?")) asked.push(request.url());
    });
    await page.goto(`${app.httpUrl}/map`);
    const area = await page.locator("path.district-d4").boundingBox();
    if (!area) throw new Error("district d4 is not drawn");
    const click = { x: area.x + area.width / 2, y: area.y + area.height / 2 };
    const frame = await townFrame(page);
    await page.mouse.click(click.x, click.y);
    await expect.poll(() => page.locator("#map-answer").textContent()).toContain("您发送的位置属于【第四片区】");
    const query = new URL(asked[0]!).searchParams;
    const sent: LngLat = [Number(query.get("lng")), Number(query.get("lat"))];
    const onTiles = frame.pointAt(click.x, click.y);
    const expected = toWgs(onTiles);
    // A pixel here is about 10 m (0.0001°); GCJ-02 is some 500 m (0.004°) off WGS-84 in this town.
    expect(Math.hypot(sent[0] - expected[0], sent[1] - expected[1])).toBeLessThan(0.0003);
    expect(Math.hypot(sent[0] - onTiles[0], sent[1] - onTiles[1])).toBeGreaterThan(0.002);
    await done(watched);
  });
});
